/**
 * The HttpResponse both production transports answer with (node:http, and
 * undici behind a proxy): plain headers and a body streamed from a Node
 * Readable, decoded (gzip, deflate, br) chunk by chunk with zlib's own
 * back-pressure, so decoding never holds more than a few chunks. No global
 * `Headers`/`Response` is touched (see types.ts for why).
 */
import { STATUS_CODES } from 'node:http'
import type { Readable } from 'node:stream'
import { readBytes, MAX_BUFFERED_BODY_BYTES } from './body'
import { toTransportError } from './client'
import { TransportError, type ChunkConsumer, type ChunkedBody, type ChunkPusher, type HttpHeaders, type HttpResponse } from './types'

type RawHeaders = Record<string, string | string[] | undefined>

/** Headers from a Node-style record (lower-case names; `set-cookie` an array). Iterates sorted, as `Headers` does. */
export class PlainHeaders implements HttpHeaders {
  private readonly map = new Map<string, string[]>()

  constructor(raw: RawHeaders = {}, drop: readonly string[] = []) {
    for (const [name, value] of Object.entries(raw)) {
      const key = name.toLowerCase()
      if (value === undefined || drop.includes(key)) continue
      const list = this.map.get(key) ?? []
      for (const item of Array.isArray(value) ? value : [value]) list.push(item)
      this.map.set(key, list)
    }
  }

  get(name: string): string | null {
    const list = this.map.get(name.toLowerCase())
    return list ? list.join(', ') : null
  }

  has(name: string): boolean {
    return this.map.has(name.toLowerCase())
  }

  forEach(callback: (value: string, name: string) => void): void {
    for (const name of [...this.map.keys()].sort()) {
      const list = this.map.get(name) as string[]
      // As in `Headers`: each Set-Cookie on its own, other repeats joined.
      if (name === 'set-cookie') for (const value of list) callback(value, name)
      else callback(list.join(', '), name)
    }
  }
}

/** Statuses whose response has no body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

/** Content codings decoded here; any other is passed through with its header. */
const CODINGS = new Set(['gzip', 'x-gzip', 'deflate', 'br'])

export interface StreamedResponseInit {
  url: URL
  method: string
  status: number
  headers: RawHeaders
  body: Readable
  /** Told while the reader waits for the next chunk, and when it got one (the body timeout). */
  waiting?: (waiting: boolean) => void
}

/**
 * Builds the response, or throws a TransportError for a status a fetch
 * Response could not represent. The Readable is consumed only as the caller
 * reads, so a body nobody reads is never buffered beyond the socket's window.
 */
export async function streamedResponse(init: StreamedResponseInit): Promise<HttpResponse> {
  const { url, status } = init
  if (status < 200 || status > 599) {
    init.body.destroy()
    throw new TransportError('other', `${url.origin}${url.pathname}`, `${hostOf(url)} answered with an unusable HTTP status ${status}`)
  }
  if (NULL_BODY_STATUSES.has(status) || init.method === 'HEAD') {
    init.body.resume()
    return new StreamedResponse(url, status, new PlainHeaders(init.headers), null)
  }
  const codings = String(init.headers['content-encoding'] ?? '')
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '' && c !== 'identity')
  const decodable = codings.length > 0 && codings.every((c) => CODINGS.has(c))
  // Decoded bytes no longer match these, so they would only mislead.
  const headers = new PlainHeaders(init.headers, decodable ? ['content-encoding', 'content-length'] : [])
  const source = decodable ? decode(await import('node:zlib'), init.body, codings) : init.body
  return new StreamedResponse(url, status, headers, Object.assign(chunks(source, url, init.waiting), { eachChunk: pushChunks(source, url, init.waiting) }))
}

function hostOf(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`
}

/** Chains zlib decoders, last coding applied first (RFC 9110 §8.4). zlib is loaded only for an encoded body. */
function decode(zlib: typeof import('node:zlib'), body: Readable, codings: string[]): Readable {
  let stream: Readable = body
  for (const coding of [...codings].reverse()) {
    const decoder =
      coding === 'br'
        ? zlib.createBrotliDecompress()
        : coding === 'deflate'
          ? zlib.createInflate()
          : zlib.createGunzip()
    const from = stream
    from.on('error', (err) => decoder.destroy(err))
    decoder.on('close', () => from.destroy())
    stream = from.pipe(decoder)
  }
  return stream
}

/** The Readable as an async iterable whose errors are TransportErrors, arming `waiting` between chunks. */
async function* chunks(source: Readable, url: URL, waiting?: (waiting: boolean) => void): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  try {
    for (;;) {
      waiting?.(true)
      let next: IteratorResult<Buffer>
      try {
        next = await iterator.next()
      } catch (err) {
        throw bodyError(err, url)
      } finally {
        waiting?.(false)
      }
      if (next.done) return
      yield next.value
    }
  } finally {
    // Stopped early (a break, an error): drop the connection rather than read the rest.
    if (!source.readableEnded) source.destroy()
  }
}

/**
 * The Readable's chunks pushed to a consumer from its 'data' events (what -o
 * writes from: no promise per chunk), paused while a promise the consumer
 * returned is pending. Errors are TransportErrors, as the iterator's; a
 * consumer that throws (a full disk) stops the body and the connection.
 */
function pushChunks(source: Readable, url: URL, waiting?: (waiting: boolean) => void): ChunkPusher['eachChunk'] {
  return (consume: ChunkConsumer) =>
    new Promise<void>((resolve, reject) => {
      let settled = false
      /** The promise the consumer returned for the last chunk, until it settles. */
      let busy: Promise<void> | undefined
      const finish = (err?: unknown): void => {
        if (settled) return
        settled = true
        waiting?.(false)
        source.off('data', onData).off('end', onEnd).off('error', onError)
        if (err === undefined) return resolve()
        if (!source.readableEnded) source.destroy()
        reject(err)
      }
      const onData = (chunk: Buffer): void => {
        waiting?.(false)
        let pending: Promise<void> | undefined
        try {
          pending = consume(chunk)
        } catch (err) {
          return finish(err)
        }
        if (!pending) return void waiting?.(true)
        source.pause()
        busy = pending
        pending.then(
          () => {
            busy = undefined
            if (settled) return
            waiting?.(true)
            source.resume()
          },
          (err: unknown) => finish(err),
        )
      }
      // The last chunk's write is part of the body: the end waits for it.
      const onEnd = (): void => void (busy ? busy.then(() => finish(), finish) : finish())
      const onError = (err: unknown): void => finish(bodyError(err, url))
      if (source.readableEnded) return resolve()
      if (source.destroyed) return reject(bodyError(source.errored ?? new Error('the response body was already closed'), url))
      waiting?.(true)
      source.on('data', onData).once('end', onEnd).once('error', onError)
    })
}

function bodyError(err: unknown, url: URL): TransportError {
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new TransportError('other', `${url.origin}${url.pathname}`, `the response body from ${hostOf(url)} could not be decoded (${code})`, {
      cause: err,
    })
  }
  return toTransportError(err, url)
}

class StreamedResponse implements HttpResponse {
  readonly statusText: string

  constructor(
    private readonly url: URL,
    readonly status: number,
    readonly headers: PlainHeaders,
    readonly body: ChunkedBody | null,
  ) {
    this.statusText = STATUS_CODES[status] ?? ''
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await readBytes(this, MAX_BUFFERED_BODY_BYTES, this.url.href)
    return bytes.buffer as ArrayBuffer
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await readBytes(this, MAX_BUFFERED_BODY_BYTES, this.url.href))
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text())
  }
}
