/**
 * The production HttpClient, on undici's `request()` with one
 * `EnvHttpProxyAgent`. undici is imported only when a client is built, so a
 * command that sends no request never loads it.
 */
import { readFile } from 'node:fs/promises'
import { STATUS_CODES } from 'node:http'
import { rootCertificates } from 'node:tls'
import { redactText } from './redact'
import { TransportError, type HttpClient, type HttpClientOptions, type HttpRequestInit, type TransportErrorKind } from './types'

export const DEFAULT_TIMEOUT_MS = 30_000

type Env = Readonly<Record<string, string | undefined>>
type Undici = typeof import('undici')

/**
 * Builds the client: proxies from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` (either
 * case, read from `env`), connect/headers/body timeouts, extra CAs on top of
 * the system ones. Redirects are never followed.
 */
export async function createHttpClient(options: HttpClientOptions & { env: Env }): Promise<HttpClient> {
  const undici = await import('undici')
  const dispatcher = await createDispatcher(undici, options)
  return async (url, init = {}) => {
    const target = new URL(url)
    const request = prepareRequest(init, options.userAgent)
    try {
      const res = await undici.request(target, {
        dispatcher,
        method: request.method as 'GET',
        headers: request.headers,
        body: request.body,
        signal: init.signal ?? undefined,
      })
      const bytes = new Uint8Array(await res.body.arrayBuffer())
      return buildResponse(target, res.statusCode, toHeaders(res.headers), bytes)
    } catch (err) {
      throw toTransportError(err, target, init.signal)
    }
  }
}

async function createDispatcher(undici: Undici, options: HttpClientOptions & { env: Env }) {
  const { env } = options
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const ca = await resolveCa(options.ca, env)
  const tls = ca ? { ca, timeout } : { timeout }
  return new undici.EnvHttpProxyAgent({
    // Passed explicitly (never undefined) so that undici does not fall back to process.env.
    httpProxy: env.http_proxy ?? env.HTTP_PROXY ?? '',
    httpsProxy: env.https_proxy ?? env.HTTPS_PROXY ?? '',
    noProxy: env.no_proxy ?? env.NO_PROXY ?? '',
    connect: tls,
    // Through a proxy, the TLS session to the target is built from requestTls.
    requestTls: tls,
    proxyTls: tls,
    // Plain-http targets go as absolute-form requests: many proxies refuse CONNECT to port 80.
    proxyTunnel: false,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  })
}

/**
 * Node adds `NODE_EXTRA_CA_CERTS` to its default trust store, which undici
 * uses as long as no `ca` is passed. Passing `ca` replaces that store, so
 * the bundled roots and the extra file are added back by hand.
 */
async function resolveCa(ca: string | undefined, env: Env): Promise<string[] | undefined> {
  if (!ca) return undefined
  const extraFile = env.NODE_EXTRA_CA_CERTS
  const extra = extraFile ? await readFile(extraFile, 'utf8').catch(() => undefined) : undefined
  return [...rootCertificates, ...(extra ? [extra] : []), ca]
}

export interface PreparedRequest {
  method: string
  headers: Record<string, string>
  body: string | Uint8Array | undefined
}

/** Normalises a fetch-shaped init the way fetch would (default content types), plus the User-Agent. */
export function prepareRequest(init: HttpRequestInit, userAgent?: string): PreparedRequest {
  const headers = new Headers(init.headers ?? undefined)
  if (userAgent && !headers.has('user-agent')) headers.set('user-agent', userAgent)
  let body: string | Uint8Array | undefined
  if (init.body instanceof URLSearchParams) {
    body = init.body.toString()
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8')
  } else if (typeof init.body === 'string') {
    body = init.body
    if (!headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8')
  } else {
    body = init.body ?? undefined
  }
  return { method: (init.method ?? 'GET').toUpperCase(), headers: headersToRecord(headers), body }
}

/** A plain object copy (lib.dom here has no iterable Headers). */
export function headersToRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  headers.forEach((value, name) => {
    out[name] = value
  })
  return out
}

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item)
  }
  return headers
}

/** Statuses whose response must have a null body (the Response constructor insists). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

/**
 * Wraps a buffered answer in a *global* Response (oauth4webapi checks
 * `instanceof Response`). A status the Response constructor cannot represent
 * becomes a TransportError instead of a RangeError.
 */
export function buildResponse(url: URL, status: number, headers: Headers, bytes: Uint8Array<ArrayBuffer> | null): Response {
  if (status < 200 || status > 599) {
    throw new TransportError('other', safeUrl(url), `${describeHost(url)} answered with an unusable HTTP status ${status}`)
  }
  const body = NULL_BODY_STATUSES.has(status) ? null : bytes
  return new Response(body, { status, statusText: STATUS_CODES[status] ?? '', headers })
}

/** Origin and path, never the query or fragment. */
export function safeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`
}

function describeHost(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  return `${url.hostname}:${port}`
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|UND_ERR_PRX_TLS)|_CERT/

interface Classified {
  kind: TransportErrorKind
  describe: (host: string, url: URL) => string
}

function classifyCode(code: string): Classified | undefined {
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return { kind: 'timeout', describe: (h) => `timed out connecting to ${h}` }
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { kind: 'timeout', describe: (h) => `timed out waiting for a response from ${h}` }
    case 'UND_ERR_BODY_TIMEOUT':
      return { kind: 'timeout', describe: (h) => `timed out reading the response body from ${h}` }
    case 'ECONNREFUSED':
      return { kind: 'connect', describe: (h) => `could not connect to ${h} (connection refused)` }
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return { kind: 'connect', describe: (h) => `could not connect to ${h} (${code})` }
    case 'ENOTFOUND':
      return { kind: 'dns', describe: (_h, u) => `could not resolve ${u.hostname} (no such host)` }
    case 'EAI_AGAIN':
      return { kind: 'dns', describe: (_h, u) => `could not resolve ${u.hostname} (temporary DNS failure)` }
    case 'ECONNRESET':
    case 'EPIPE':
      return { kind: 'reset', describe: (h) => `connection to ${h} was reset (${code})` }
    case 'UND_ERR_SOCKET':
      return { kind: 'reset', describe: (h) => `connection to ${h} was closed by the other side` }
  }
  if (TLS_CODE.test(code)) return { kind: 'tls', describe: (h) => `TLS connection to ${h} failed (${code})` }
  return undefined
}

/** The error and its causes, including the members of an AggregateError (happy eyeballs). */
function errorChain(err: unknown): Array<{ code?: unknown; name?: unknown; message?: unknown }> {
  const chain: Array<{ code?: unknown; name?: unknown; message?: unknown }> = []
  const queue: unknown[] = [err]
  while (queue.length > 0 && chain.length < 10) {
    const item = queue.shift()
    if (!item || typeof item !== 'object') continue
    chain.push(item as { code?: unknown })
    const { cause, errors } = item as { cause?: unknown; errors?: unknown }
    if (cause) queue.push(cause)
    if (Array.isArray(errors)) queue.push(...errors)
  }
  return chain
}

/**
 * Maps whatever undici or fetch threw to a TransportError whose message names
 * the host and what happened, and whose `url` carries no query.
 */
export function toTransportError(err: unknown, url: URL, signal?: AbortSignal | null): TransportError {
  if (err instanceof TransportError) return err
  const host = describeHost(url)
  const chain = errorChain(err)
  const reason = signal?.aborted ? (signal.reason as { name?: unknown } | undefined) : undefined
  const timedOut = reason?.name === 'TimeoutError' || chain.some((e) => e.name === 'TimeoutError')
  // undici also names a refused proxy tunnel AbortError (UND_ERR_ABORTED); only the caller aborts.
  const aborted = signal?.aborted || chain.some((e) => e.name === 'AbortError' && e.code !== 'UND_ERR_ABORTED')
  if (aborted && !timedOut) {
    return new TransportError('aborted', safeUrl(url), `request to ${host} was aborted`, { cause: err })
  }
  if (timedOut) {
    return new TransportError('timeout', safeUrl(url), `timed out waiting for ${host}`, { cause: err })
  }
  for (const item of chain) {
    const classified = typeof item.code === 'string' ? classifyCode(item.code) : undefined
    if (classified) return new TransportError(classified.kind, safeUrl(url), classified.describe(host, url), { cause: err })
  }
  const detail = chain.map((e) => e.message).find((m): m is string => typeof m === 'string' && m !== 'fetch failed')
  const suffix = detail ? ` (${redactText(detail)})` : ''
  return new TransportError('other', safeUrl(url), `request to ${host} failed${suffix}`, { cause: err })
}
