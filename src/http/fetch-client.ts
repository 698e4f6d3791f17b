/**
 * The HttpClient contract on Node's built-in `fetch`. It is the default
 * client: Node ships it, so no extra copy of undici has to be loaded (the
 * undici package costs ~50 ms of start-up). The undici client (client.ts)
 * takes over when something needs it: proxy variables (EnvHttpProxyAgent) or a
 * --cacert file. Integration tests also use this one, because nock intercepts
 * global fetch and not undici's own `request()`.
 */
import { buildResponse, DEFAULT_TIMEOUT_MS, prepareRequest, toTransportError } from './client'
import type { HttpClient } from './types'

/** fetch decodes these itself, so the header would describe bytes we no longer have. */
const DECODED_HEADERS = ['content-encoding', 'content-length']

/**
 * Builds a client on global fetch with undici's timeout semantics: the time to
 * the response headers (connect included) and then the idle time between body
 * chunks are each bounded by `timeoutMs`, so a slow but moving download is not
 * cut off. Never follows redirects.
 */
export function createFetchHttpClient(options: { timeoutMs?: number; userAgent?: string } = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  return async (url, init = {}) => {
    const target = new URL(url)
    const request = prepareRequest(init, options.userAgent)
    const watchdog = new Watchdog(timeoutMs)
    const signal = init.signal ? AbortSignal.any([init.signal, watchdog.signal]) : watchdog.signal
    try {
      const res = await fetch(target, {
        method: request.method,
        headers: request.headers,
        // The port types bodies as Uint8Array<ArrayBufferLike>; fetch accepts any view at runtime.
        body: (request.body ?? null) as BodyInit | null,
        redirect: 'manual',
        signal,
      })
      const bytes = await readBody(res, watchdog)
      const headers = new Headers(res.headers)
      if (headers.has('content-encoding')) for (const name of DECODED_HEADERS) headers.delete(name)
      return buildResponse(target, res.status, headers, bytes)
    } catch (err) {
      throw toTransportError(err, target, signal)
    } finally {
      watchdog.stop()
    }
  }
}

/** Aborts with a TimeoutError when not fed for `ms`. */
class Watchdog {
  private readonly controller = new AbortController()
  private timer: NodeJS.Timeout | undefined
  readonly signal = this.controller.signal
  constructor(private readonly ms: number) {
    this.feed()
  }
  feed(): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.controller.abort(new DOMException('the request timed out', 'TimeoutError')), this.ms)
  }
  stop(): void {
    clearTimeout(this.timer)
  }
}

async function readBody(res: Response, watchdog: Watchdog): Promise<Uint8Array<ArrayBuffer>> {
  if (!res.body) return new Uint8Array(new ArrayBuffer(0))
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = res.body.getReader()
  for (;;) {
    watchdog.feed()
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.byteLength
  }
  const bytes = new Uint8Array(new ArrayBuffer(size))
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}
