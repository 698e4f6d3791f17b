/**
 * The production HttpClient's factory, and what both transports share: the
 * request normalised as fetch would, and failures mapped to TransportErrors.
 * Each transport is imported only when a client is built, so a command that
 * sends no request loads neither.
 */
import { redactText } from './redact'
import { ResponseTooLargeError, TransportError, UnsendableRequestError, type ProxyProblem, type HttpClient, type HttpClientOptions, type HttpHeaders, type HttpRequestInit, type RequestHeaders, type TransportErrorKind } from './types'
import type { Env } from '../platform/process'
import { describeProxy, usesProxy, type ProxyChoice } from './proxy'

export const DEFAULT_TIMEOUT_MS = 30_000

/** The most response headers node:http and undici read (both default to 16 KiB; past it the answer is refused). */
const MAX_HEADER_BYTES = 16 * 1024


/**
 * Builds the client: node:http/node:https for every request (keep-alive within
 * the process, connect/headers/body timeouts, extra CAs on top of the system
 * ones, bodies streamed and decoded), except when `HTTPS_PROXY`/`HTTP_PROXY`
 * (either case, read from `env`) is set: then undici's `EnvHttpProxyAgent`,
 * which also honours `NO_PROXY`. Redirects are never followed.
 */
export async function createHttpClient(options: HttpClientOptions & { env: Env }): Promise<HttpClient> {
  if (usesProxy(options.env)) return (await import('./undici-client')).createUndiciHttpClient(options)
  const { ca, env, ...rest } = options
  const trusted = ca ? await withSystemCas(ca, env) : undefined
  return (await import('./node-client')).createNodeHttpClient({ ...rest, ...(trusted ? { ca: trusted } : {}) })
}

/**
 * Node adds `NODE_EXTRA_CA_CERTS` to its default trust store, which is used as
 * long as no `ca` is passed. Passing `ca` replaces that store, so the bundled
 * roots and the extra file are added back by hand.
 */
export async function withSystemCas(ca: string, env: Env): Promise<string[]> {
  const [{ readFile }, { rootCertificates }] = await Promise.all([import('node:fs/promises'), import('node:tls')])
  const extraFile = env.NODE_EXTRA_CA_CERTS
  const extra = extraFile ? await readFile(extraFile, 'utf8').catch(() => undefined) : undefined
  return [...rootCertificates, ...(extra ? [extra] : []), ca]
}

export interface PreparedRequest {
  method: string
  /** A name given several values keeps them all, one header line each. */
  headers: Record<string, string | string[]>
  body: string | Uint8Array | undefined
}

/** Adds a value under `name`: a name given again keeps each value, to be sent as its own header line. */
export function appendHeader(headers: Record<string, string | string[]>, name: string, value: string): void {
  const before = headers[name]
  headers[name] = before === undefined ? value : [...(typeof before === 'string' ? [before] : before), value]
}

/**
 * Normalises a fetch-shaped init the way fetch would (default content types),
 * plus the User-Agent. Header names come out lower-cased. No global `Headers`
 * is used: touching it loads Node's bundled undici (see types.ts).
 */
export function prepareRequest(init: HttpRequestInit, userAgent?: string): PreparedRequest {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of headerEntries(init.headers ?? {})) appendHeader(headers, name, value)
  if (userAgent && headers['user-agent'] === undefined) headers['user-agent'] = userAgent
  let body: string | Uint8Array | undefined
  if (init.body instanceof URLSearchParams) {
    body = init.body.toString()
    headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8'
  } else if (typeof init.body === 'string') {
    body = init.body
    headers['content-type'] ??= 'text/plain;charset=UTF-8'
  } else {
    body = init.body ?? undefined
  }
  return { method: (init.method ?? 'GET').toUpperCase(), headers: sortedRecord(headers), body }
}


/** Each header line: lower-case name and value, a name given a list once per value, in order. */
export function headerEntries(headers: HttpHeaders | RequestHeaders): Array<[string, string]> {
  const out: Array<[string, string]> = []
  if (isHeaders(headers)) headers.forEach((value, name) => out.push([name.toLowerCase(), value]))
  else {
    for (const [name, value] of Object.entries(headers)) {
      const key = name.toLowerCase()
      if (typeof value === 'string') out.push([key, value])
      else for (const item of value) out.push([key, String(item)])
    }
  }
  return out
}

/** Duck-typed, so that no `instanceof Headers` loads undici. */
export function isHeaders(headers: unknown): headers is HttpHeaders {
  return typeof (headers as Partial<HttpHeaders> | undefined)?.forEach === 'function' && typeof (headers as Partial<HttpHeaders>).get === 'function'
}

function sortedRecord<V>(record: Record<string, V>): Record<string, V> {
  const out: Record<string, V> = {}
  for (const name of Object.keys(record).sort()) out[name] = record[name] as V
  return out
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
 * the host and what happened, and whose `url` carries no query. Through a
 * proxy, a failure to reach the proxy (refused, unreachable, its name not
 * resolved) or its refusal to open a tunnel names the proxy and its variable,
 * never the credentials in its URL; anything else says it went through it.
 */
export function toTransportError(err: unknown, url: URL, signal?: AbortSignal | null, proxy?: ProxyChoice): TransportError {
  if (err instanceof TransportError) return err
  const target = describeHost(url)
  const via = proxy ? `the proxy ${describeProxy(proxy.url)} (${proxy.variable})` : undefined
  const host = via ? `${target} through ${via}` : target
  const chain = errorChain(err)
  const reason = signal?.aborted ? (signal.reason as { name?: unknown } | undefined) : undefined
  const timedOut = reason?.name === 'TimeoutError' || chain.some((e) => e.name === 'TimeoutError')
  // undici also names a refused proxy tunnel AbortError (UND_ERR_ABORTED); only the caller aborts.
  const aborted = signal?.aborted || chain.some((e) => e.name === 'AbortError' && e.code !== 'UND_ERR_ABORTED')
  if (aborted && !timedOut) {
    return new TransportError('aborted', safeUrl(url), `request to ${target} was aborted`, { cause: err })
  }
  if (timedOut) {
    return new TransportError('timeout', safeUrl(url), `timed out waiting for ${host}`, { cause: err })
  }
  if (chain.some((e) => e.code === 'HPE_HEADER_OVERFLOW' || e.code === 'UND_ERR_HEADERS_OVERFLOW')) {
    const limit = MAX_HEADER_BYTES / 1024
    return new ResponseTooLargeError('headers', safeUrl(url), MAX_HEADER_BYTES, `the response headers from ${target} are larger than ${limit} KiB, more than this tool reads`)
  }
  const unsendable = unsendableRequest(chain, url, target, err)
  if (unsendable) return unsendable
  if (proxy && via) {
    const failed = proxyFailure(chain, proxy, via, target)
    if (failed) {
      const { kind, message, problem, status } = failed
      return new TransportError(kind, safeUrl(url), message, { cause: err, proxyVariable: proxy.variable, proxyProblem: problem, ...(status === undefined ? {} : { proxyStatus: status }) })
    }
  }
  for (const item of chain) {
    const classified = typeof item.code === 'string' ? classifyCode(item.code) : undefined
    if (classified) return new TransportError(classified.kind, safeUrl(url), classified.describe(host, url), { cause: err })
  }
  const detail = chain.map((e) => e.message).find((m): m is string => typeof m === 'string' && m !== 'fetch failed')
  const suffix = detail ? ` (${redactText(detail)})` : ''
  return new TransportError('other', safeUrl(url), `request to ${host} failed${suffix}`, { cause: err })
}

/**
 * Node (and undici behind a proxy) refusing to build the request: a header value
 * or name, a method or a path it may not carry. Thrown before any byte is sent,
 * so it is about the request, not the network. The value is never quoted (it may
 * be a token), only the header's name.
 */
const UNSENDABLE_CODES = new Set(['ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN', 'ERR_HTTP_INVALID_HEADER_VALUE', 'ERR_UNESCAPED_CHARACTERS'])
/** undici's invalid arguments that are the request's own (it names a proxy's 407 to a forwarded request so too). */
const UNDICI_UNSENDABLE = /^invalid (\S+ header|header key|request path|request method)$/

function isUnsendable(e: ReturnType<typeof errorChain>[number]): boolean {
  if (typeof e.code !== 'string') return false
  return UNSENDABLE_CODES.has(e.code) || (e.code === 'UND_ERR_INVALID_ARG' && typeof e.message === 'string' && UNDICI_UNSENDABLE.test(e.message))
}

function unsendableRequest(chain: ReturnType<typeof errorChain>, url: URL, target: string, err: unknown): UnsendableRequestError | undefined {
  const item = chain.find(isUnsendable)
  if (item === undefined) return undefined
  const message = typeof item.message === 'string' ? item.message : ''
  // Node: 'Invalid character in header content ["authorization"]'; undici: 'invalid authorization header'.
  const named = /\["([!#$%&'*+.^_`|~0-9A-Za-z-]+)"\]/.exec(message)?.[1] ?? /^invalid ([!#$%&'*+.^_`|~0-9A-Za-z-]+) header$/i.exec(message)?.[1]
  const header = named?.toLowerCase()
  const what = header ? `its "${header}" header holds characters no HTTP header may carry` : `it could not be built (${redactText(message)})`
  return new UnsendableRequestError(safeUrl(url), `the request to ${target} was not sent: ${what}`, header, { cause: err })
}

/**
 * A failure of the proxy itself: the only connection made is to the proxy, and
 * the only name resolved is its own, so these codes are about it. undici says
 * a refused tunnel as "Proxy response (407) !== 200 when HTTP Tunneling", a
 * 407 to a forwarded plain-http request as "Proxy Authentication Required
 * (407)", a SOCKS5 proxy's refusals with UND_ERR_SOCKS5_* codes;
 * undici-client.ts names a CONNECT the proxy closed or never answered.
 */
function proxyFailure(
  chain: ReturnType<typeof errorChain>,
  proxy: ProxyChoice,
  via: string,
  target: string,
): { kind: TransportErrorKind; message: string; problem: ProxyProblem; status?: number } | undefined {
  const credentials = proxy.url.username !== '' || proxy.url.password !== ''
  const wanted: ProxyProblem = credentials ? 'credentials_refused' : 'credentials_wanted'
  for (const item of chain) {
    const message = typeof item.message === 'string' ? item.message : ''
    const tunnel = /^Proxy response \((\d{3})\)/.exec(message)
    if (tunnel) {
      const status = Number(tunnel[1])
      return { kind: 'other', message: `${via} refused to open a tunnel to ${target} (HTTP ${status})`, problem: status === 407 ? wanted : 'refused', status }
    }
    if (/^Proxy Authentication Required \(407\)/.test(message)) {
      return { kind: 'other', message: `${via} refused to forward the request to ${target} (HTTP 407)`, problem: wanted, status: 407 }
    }
    const code = typeof item.code === 'string' ? item.code : ''
    if (code.startsWith('UND_ERR_SOCKS5_REPLY_')) {
      // Its reply says why: "Connection refused", "Host unreachable", "Connection not allowed by ruleset"...
      const why = message.replace(/^SOCKS5 connection failed: /, '')
      return { kind: 'other', message: `${via} could not connect to ${target} (SOCKS5: ${redactText(why)})`, problem: 'refused' }
    }
    switch (code) {
      case 'UND_ERR_SOCKS5_AUTH_FAILED':
        return { kind: 'other', message: `${via} refused the user name and password for ${target} (SOCKS5)`, problem: 'credentials_refused' }
      case 'UND_ERR_SOCKS5_AUTH_REJECTED':
        return { kind: 'other', message: `${via} accepted none of the authentication methods offered for ${target} (SOCKS5)`, problem: wanted }
      // undici-client.ts: the proxy took the CONNECT and closed the connection without an answer. Nothing reached the target.
      case 'UND_ERR_PRX_CONN':
        return { kind: 'connect', message: `${via} closed the connection instead of opening a tunnel to ${target}`, problem: 'closed' }
      // undici-client.ts: the proxy took the CONNECT and gave no answer within the timeout.
      case 'UND_ERR_PRX_TIMEOUT':
        return { kind: 'timeout', message: `timed out waiting for ${via} to open a tunnel to ${target}`, problem: 'unreachable' }
      case 'ECONNREFUSED':
        return { kind: 'connect', message: `could not connect to ${via} for ${target} (connection refused)`, problem: 'unreachable' }
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
      case 'EADDRNOTAVAIL':
        return { kind: 'connect', message: `could not connect to ${via} for ${target} (${code})`, problem: 'unreachable' }
      case 'ENOTFOUND':
        return { kind: 'dns', message: `could not resolve the host name of ${via} (no such host)`, problem: 'unreachable' }
      case 'EAI_AGAIN':
        return { kind: 'dns', message: `could not resolve the host name of ${via} (temporary DNS failure)`, problem: 'unreachable' }
    }
  }
  return undefined
}

/** What fetch would add unless the caller set it: any type, and the codings the transports decode. */
export function withTransportDefaults<V>(headers: Record<string, V>): Record<string, V | string> {
  return { accept: '*/*', 'accept-encoding': 'gzip, deflate, br', ...headers }
}
