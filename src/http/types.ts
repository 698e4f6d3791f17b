/**
 * The HTTP port. It is fetch-shaped, so that tests can swap in global `fetch`
 * (seen by nock) or a handler answering `new Response(...)`. It resolves, once
 * the response headers are in, to an `HttpResponse` whose body streams as it
 * arrives (a global `Response` is one); it and every read of the body reject
 * only with `TransportError`. The production client answers with a light
 * object of its own, never a global `Response`: touching `Response`/`Headers`
 * loads Node's bundled undici and compiles its WebAssembly parser (~20 ms of
 * start-up and exit), which a `call` or a refresh must not pay.
 */
export interface HttpRequestInit {
  method?: string
  headers?: RequestHeaders | HttpHeaders
  body?: string | Uint8Array | URLSearchParams | null
  signal?: AbortSignal | null
  /**
   * Aborts the request only while none of it has been written: its connection
   * (TLS included) is still opening. Once it is written it is not aborted by
   * this (the server may have acted on it, and its answer is awaited). A
   * refresh passes its lease: nothing is sent under a lease that has ended.
   * The proxy (undici) client does not tell these apart and ignores it.
   */
  abortUnsent?: AbortSignal
  /** oauth4webapi passes 'manual'; redirects are never followed for token requests. */
  redirect?: 'manual' | 'follow' | 'error'
  /**
   * Names of the headers the tool filled from a stored credential (a configured
   * header pair, say), so that the trace and the known-secrets list treat their
   * values as secrets whatever the names. Not sent.
   */
  credentialHeaders?: readonly string[]
}

/**
 * Request headers by name; a list is sent as that many header lines, in order
 * (a repeated -H, as curl sends it: Cookie wants `; `, not the `, ` a joined line has).
 */
export type RequestHeaders = Record<string, string | readonly string[]>

/** The read side of `Headers`: names are case-insensitive, iteration is by lower-case name. */
export interface HttpHeaders {
  get(name: string): string | null
  has(name: string): boolean
  forEach(callback: (value: string, name: string) => void): void
}

/** A chunked body: a web ReadableStream (global Response) or any async iterable of bytes. */
export type HttpBody = ChunkedBody | ReadableStream<Uint8Array>

/** Bytes as they arrive, with the production transports' push-style reader where there is one (ChunkPusher). */
export type ChunkedBody = AsyncIterable<Uint8Array> & Partial<ChunkPusher>

/**
 * What the production transports' bodies offer besides iteration: the chunks
 * handed to `consume` as they arrive, without a promise per chunk. The body
 * waits while a promise `consume` returned is pending (back-pressure).
 */
export interface ChunkPusher {
  eachChunk(consume: ChunkConsumer): Promise<void>
}

/** Takes a chunk; a promise when the next should wait for it. */
export type ChunkConsumer = (chunk: Uint8Array) => Promise<void> | undefined

/**
 * The part of `Response` the tool uses. Read the body once: by iterating
 * `body` (see http/body.ts), or whole with `text()`/`arrayBuffer()`/`json()`.
 */
export interface HttpResponse {
  readonly status: number
  readonly statusText: string
  readonly headers: HttpHeaders
  /** null for statuses without a body (204, 304) and HEAD. */
  readonly body: HttpBody | null
  text(): Promise<string>
  arrayBuffer(): Promise<ArrayBuffer>
  json(): Promise<unknown>
}

export type HttpClient = (url: string | URL, init?: HttpRequestInit) => Promise<HttpResponse>

export type TransportErrorKind = 'timeout' | 'connect' | 'dns' | 'tls' | 'reset' | 'aborted' | 'other'

/**
 * How a proxy failed: it could not be reached (or did not answer); it wants
 * credentials the URL in its variable does not carry; it refused the ones it
 * carries; it refused to reach the target; it took the request for a tunnel
 * and closed the connection without answering.
 */
export type ProxyProblem = 'unreachable' | 'credentials_wanted' | 'credentials_refused' | 'refused' | 'closed'

/** A request that got no HTTP answer: DNS, connect, TLS, reset, timeout. */
export class TransportError extends Error {
  readonly kind: TransportErrorKind
  /** Origin and path only, never the query (it may hold a code or token). */
  readonly url: string
  /** The variable naming the proxy the request went through, when that proxy is what failed (http/proxy.ts). */
  readonly proxyVariable?: string
  /** What the proxy answered when it refused to open a tunnel or to forward the request (407: it wants credentials). */
  readonly proxyStatus?: number
  /** What went wrong with the proxy, when the proxy is what failed (the hint depends on it). */
  readonly proxyProblem?: ProxyProblem

  constructor(kind: TransportErrorKind, url: string, message: string, options?: { cause?: unknown; proxyVariable?: string; proxyStatus?: number; proxyProblem?: ProxyProblem }) {
    super(message, options)
    this.name = 'TransportError'
    this.kind = kind
    this.url = url
    if (options?.proxyVariable !== undefined) this.proxyVariable = options.proxyVariable
    if (options?.proxyStatus !== undefined) this.proxyStatus = options.proxyStatus
    if (options?.proxyProblem !== undefined) this.proxyProblem = options.proxyProblem
  }
}

/**
 * An answer larger than the tool reads (a body read whole past its cap, headers
 * past Node's): the server's answer is too big, the network is fine. A
 * TransportError still (nothing usable was received), never retried.
 */
export class ResponseTooLargeError extends TransportError {
  /** What was too large. */
  readonly part: 'body' | 'headers'
  /** The cap it went over, in bytes. */
  readonly limit: number

  constructor(part: 'body' | 'headers', url: string, limit: number, message: string) {
    super('other', url, message)
    this.name = 'ResponseTooLargeError'
    this.part = part
    this.limit = limit
  }
}

/**
 * A request refused while it was being built, before anything was sent: a
 * header holding a character no header may carry (Node's ERR_INVALID_CHAR,
 * undici's invalid argument). The network is not involved: nothing to retry,
 * and never "check your network". A TransportError still (the port rejects
 * only with those), never retried; `header` names the header when known.
 */
export class UnsendableRequestError extends TransportError {
  readonly header: string | undefined

  constructor(url: string, message: string, header: string | undefined, options?: { cause?: unknown }) {
    super('other', url, message, options)
    this.name = 'UnsendableRequestError'
    this.header = header
  }
}

export interface HttpClientOptions {
  /** Per request: connect, headers and each wait for the next body chunk bounded by this many ms. */
  timeoutMs?: number
  userAgent?: string
  /** Extra CA certificates (PEM) to trust besides the system ones. */
  ca?: string
}
