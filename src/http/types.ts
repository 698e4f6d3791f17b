/**
 * The HTTP port. It is fetch-shaped, so that oauth4webapi can use it as its
 * `customFetch` and tests can swap in global `fetch` (seen by nock) or a
 * server on 127.0.0.1. It always resolves to a global `Response` with the body
 * already buffered, and rejects only with `TransportError`.
 */
export interface HttpRequestInit {
  method?: string
  headers?: Record<string, string> | Headers
  body?: string | Uint8Array | URLSearchParams | null
  signal?: AbortSignal | null
  /** oauth4webapi passes 'manual'; redirects are never followed for token requests. */
  redirect?: 'manual' | 'follow' | 'error'
}

export type HttpClient = (url: string | URL, init?: HttpRequestInit) => Promise<Response>

export type TransportErrorKind = 'timeout' | 'connect' | 'dns' | 'tls' | 'reset' | 'aborted' | 'other'

/** A request that got no HTTP answer: DNS, connect, TLS, reset, timeout. */
export class TransportError extends Error {
  readonly kind: TransportErrorKind
  /** Origin and path only, never the query (it may hold a code or token). */
  readonly url: string

  constructor(kind: TransportErrorKind, url: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TransportError'
    this.kind = kind
    this.url = url
  }
}

export interface HttpClientOptions {
  /** Per request: connect, headers and body each bounded by this many ms. */
  timeoutMs?: number
  userAgent?: string
  /** Extra CA certificates (PEM) to trust besides the system ones. */
  ca?: string
}
