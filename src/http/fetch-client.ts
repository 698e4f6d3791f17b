/**
 * The same HttpClient contract on Node's global `fetch`. Integration tests
 * use it because nock intercepts global fetch but not undici's own `request()`.
 */
import { buildResponse, DEFAULT_TIMEOUT_MS, prepareRequest, toTransportError } from './client'
import type { HttpClient } from './types'

/** fetch decodes these itself, so the header would describe bytes we no longer have. */
const DECODED_HEADERS = ['content-encoding', 'content-length']

/**
 * Builds a client on global fetch with one overall timeout per request
 * (fetch has no separate connect/headers/body timeouts). Never follows redirects.
 */
export function createFetchHttpClient(options: { timeoutMs?: number } = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  return async (url, init = {}) => {
    const target = new URL(url)
    const request = prepareRequest(init)
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout
    try {
      const res = await fetch(target, {
        method: request.method,
        headers: request.headers,
        // The port types bodies as Uint8Array<ArrayBufferLike>; fetch accepts any view at runtime.
        body: (request.body ?? null) as BodyInit | null,
        redirect: 'manual',
        signal,
      })
      const bytes = new Uint8Array(await res.arrayBuffer())
      const headers = new Headers(res.headers)
      if (headers.has('content-encoding')) for (const name of DECODED_HEADERS) headers.delete(name)
      return buildResponse(target, res.status, headers, bytes)
    } catch (err) {
      throw toTransportError(err, target, signal)
    }
  }
}
