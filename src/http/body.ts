/**
 * Reading an HttpResponse body: chunk by chunk as it arrives (what `call`
 * writes to stdout or a file), or whole but bounded (what is parsed: token
 * answers, pages, traces), so no body is ever held whole in memory unasked and
 * a small compressed body cannot expand into an unbounded buffer.
 */
import { ResponseTooLargeError, type ChunkConsumer, type ChunkedBody, type HttpBody, type HttpResponse } from './types'

/** The most a body read whole may hold (decoded): far above any token answer or page. */
export const MAX_BUFFERED_BODY_BYTES = 32 * 1024 * 1024

/** The body's chunks as they arrive; nothing for a null body. */
export async function* bodyChunks(res: Pick<HttpResponse, 'body'>): AsyncGenerator<Uint8Array> {
  const body = res.body
  if (!body) return
  if (isAsyncIterable(body)) {
    for await (const chunk of body) yield chunk
    return
  }
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.releaseLock()
  }
}

/**
 * Hands each chunk of `chunks` to `consume` as it arrives, waiting on the
 * promises it returns: through the body's own `eachChunk` where it has one
 * (the production transports' bodies: no promise per chunk), else by iterating.
 */
export async function forEachChunk(chunks: ChunkedBody, consume: ChunkConsumer): Promise<void> {
  if (typeof chunks.eachChunk === 'function') return chunks.eachChunk(consume)
  for await (const chunk of chunks) await consume(chunk)
}

/** The body itself when it is already an async iterable (no generator in between, per chunk), else bodyChunks. */
export function bodyIterable(res: Pick<HttpResponse, 'body'>): ChunkedBody {
  return res.body && isAsyncIterable(res.body) ? res.body : bodyChunks(res)
}

function isAsyncIterable(body: HttpBody): body is ChunkedBody {
  return typeof (body as Partial<AsyncIterable<Uint8Array>>)[Symbol.asyncIterator] === 'function'
}

/**
 * The whole body, refusing to hold more than `limit` bytes: past it the body
 * is abandoned and a ResponseTooLargeError says how large it was allowed to be.
 */
export async function readBytes(res: HttpResponse, limit = MAX_BUFFERED_BODY_BYTES, url?: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let size = 0
  // Pushed from the body's data events where it can (no async iterator set up, no promise per chunk);
  // a throw abandons the body (and its connection).
  await forEachChunk(bodyIterable(res), (chunk) => {
    size += chunk.byteLength
    if (size > limit) {
      const where = url ? new URL(url) : undefined
      throw new ResponseTooLargeError(
        'body',
        where ? `${where.origin}${where.pathname}` : '',
        limit,
        `the response body${where ? ` from ${where.host}` : ''} is larger than ${Math.round(limit / 1024 / 1024)} MiB, more than this tool reads whole`,
      )
    }
    chunks.push(chunk)
    return undefined
  })
  return concat(chunks, size)
}

/**
 * The body whole (`bytes`) when it holds at most `limit` bytes, else
 * undefined; either way `chunks` gives every byte, the ones read first
 * included, so a body too large to read whole can still be streamed on.
 */
export async function readUpTo(chunks: ChunkedBody, limit: number): Promise<{ bytes: Uint8Array | undefined; chunks: ChunkedBody }> {
  const iterator = chunks[Symbol.asyncIterator]()
  const head: Uint8Array[] = []
  let size = 0
  for (;;) {
    const next = await iterator.next()
    if (next.done) {
      const bytes = concat(head, size)
      return { bytes, chunks: replay([bytes], undefined) }
    }
    head.push(next.value)
    size += next.value.byteLength
    if (size > limit) return { bytes: undefined, chunks: replay(head, iterator) }
  }
}

async function* replay(head: Uint8Array[], rest: AsyncIterator<Uint8Array> | undefined): AsyncGenerator<Uint8Array> {
  yield* head.splice(0)
  if (!rest) return
  try {
    for (;;) {
      const next = await rest.next()
      if (next.done) return
      yield next.value
    }
  } finally {
    await rest.return?.()
  }
}

/** The whole body as UTF-8 text, bounded as `readBytes`. */
export async function readText(res: HttpResponse, limit = MAX_BUFFERED_BODY_BYTES, url?: string): Promise<string> {
  return new TextDecoder().decode(await readBytes(res, limit, url))
}

export function concat(chunks: readonly Uint8Array[], size = chunks.reduce((n, c) => n + c.byteLength, 0)): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(size))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** Lets go of a body nobody will read (a response about to be retried), so its connection is freed. */
export async function discardBody(res: HttpResponse): Promise<void> {
  const body = res.body
  if (!body) return
  try {
    if (isAsyncIterable(body)) {
      const iterator = body[Symbol.asyncIterator]()
      await iterator.return?.()
    } else {
      await body.cancel()
    }
  } catch {
    // A body that fails while being dropped is of no interest.
  }
}
