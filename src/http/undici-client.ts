/**
 * The HttpClient behind a proxy: undici's `request()` through a `ProxyAgent`
 * for the proxy the variables name for the target (HTTPS_PROXY/HTTP_PROXY,
 * NO_PROXY: http/proxy.ts), else a plain `Agent`. It costs ~50 ms to
 * load, so client.ts imports it only when a proxy variable is set; every other
 * request goes through node-client.ts.
 */
import { Readable } from 'node:stream'
import { DEFAULT_TIMEOUT_MS, prepareRequest, toTransportError, withSystemCas, withTransportDefaults } from './client'
import { invalidProxyVariable, proxyFor, readProxySettings, type ProxyChoice } from './proxy'
import { streamedResponse } from './streamed-response'
import type { HttpClient, HttpClientOptions } from './types'
import type { Env } from '../platform/process'
import { ConfigError } from '../providers/errors'

type Undici = typeof import('undici')

export async function createUndiciHttpClient(options: HttpClientOptions & { env: Env }): Promise<HttpClient> {
  const undici = await import('undici')
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const route = await createRouter(undici, options, timeout)
  return async (url, init = {}) => {
    const target = new URL(url)
    const request = prepareRequest(init, options.userAgent)
    const { dispatcher, proxy, retire } = route(target)
    const signal = init.signal ?? undefined
    try {
      const answer = undici.request(target, {
        dispatcher,
        method: request.method as 'GET',
        headers: withTransportDefaults(request.headers),
        body: request.body,
        signal,
      })
      // Connecting (the proxy, its tunnel, TLS) and the response head: as node-client bounds them.
      const res = await untilHeaders(answer, signal, 2 * timeout, retire)
      // undici's own body/idle timeouts apply while it is read.
      return await streamedResponse({
        url: target,
        method: request.method,
        status: res.statusCode,
        headers: res.headers,
        body: res.body as unknown as Readable,
      })
    } catch (err) {
      throw toTransportError(err, target, init.signal, proxy)
    }
  }
}

/**
 * undici's answer, or a failure as soon as `signal` aborts or `ms` pass
 * without response headers. undici gives a request its signal only once a
 * connection carries it: one still waiting for a connection (a proxy that
 * keeps dropping the tunnel, nodejs/undici#3897) ignored both the caller's
 * deadline and the request timeout. `retire` destroys the dispatcher given
 * up on, which stops whatever it was still dialling.
 */
function untilHeaders<T extends { body: { destroy(): unknown } }>(answer: Promise<T>, signal: AbortSignal | undefined, ms: number, retire: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false
    const settle = (): boolean => {
      if (settled) return false
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      return true
    }
    const giveUp = (err: unknown): void => {
      if (!settle()) return
      reject(err)
      retire()
      // A late answer is dropped, and a late failure is nobody's.
      answer.then((res) => res.body.destroy(), () => {})
    }
    // The caller's reason (its deadline's TimeoutError, an interrupt) is what toTransportError reads.
    const onAbort = (): void => giveUp(signal?.reason ?? Object.assign(new Error('the request was aborted'), { name: 'AbortError' }))
    const timer = setTimeout(() => giveUp(Object.assign(new Error(`no response within ${ms} ms`), { name: 'TimeoutError' })), ms)
    if (signal?.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    answer.then(
      (res) => void (settle() ? resolve(res) : res.body.destroy()),
      (err: unknown) => void (settle() && reject(err)),
    )
  })
}

type Connector = (options: object, callback: (err: Error | null, socket: unknown) => void) => void

/**
 * The pool for each target behind a ProxyAgent, built as undici's default
 * factory builds it, except that a tunnel the proxy closed before answering
 * the CONNECT is a final failure (code UND_ERR_PRX_CONN, as undici's own later
 * fix names it). undici reads that socket error as recoverable and dials the
 * proxy again at once, for as long as the process lives (nodejs/undici#3897).
 * A CONNECT left unanswered past the timeout is named as the proxy's too.
 */
function poolFactory(undici: Undici) {
  return (origin: string | URL, opts: object): InstanceType<Undici['Pool']> | InstanceType<Undici['Client']> => {
    const { connect } = opts as { connect?: unknown; connections?: number }
    const wrapped = typeof connect === 'function' ? { connect: finalTunnelFailure(connect as Connector) } : {}
    const options = { ...opts, ...wrapped } as ConstructorParameters<Undici['Pool']>[1]
    return (opts as { connections?: number }).connections === 1 ? new undici.Client(origin, options) : new undici.Pool(origin, options)
  }
}

function finalTunnelFailure(connect: Connector): Connector {
  return (options, callback) =>
    connect(options, (err, socket) => {
      const code = (err as { code?: unknown } | null)?.code
      if (code === 'UND_ERR_SOCKET') {
        return callback(Object.assign(new Error('the proxy closed the connection before opening the tunnel', { cause: err }), { code: 'UND_ERR_PRX_CONN' }), null)
      }
      // While connecting, the only response head awaited is the proxy's answer to the CONNECT.
      if (code === 'UND_ERR_HEADERS_TIMEOUT') {
        return callback(Object.assign(new Error('the proxy did not answer the CONNECT in time', { cause: err }), { code: 'UND_ERR_PRX_TIMEOUT' }), null)
      }
      callback(err, socket)
    })
}

/**
 * The dispatchers, one per way out, and which one a target takes (http/proxy.ts:
 * the proxy variables and NO_PROXY). A retired one is destroyed and replaced on next use.
 */
async function createRouter(undici: Undici, options: HttpClientOptions & { env: Env }, timeout: number) {
  const ca = options.ca ? await withSystemCas(options.ca, options.env) : undefined
  const tls = ca ? { ca, timeout } : { timeout }
  const settings = readProxySettings(options.env, (variable) => {
    const { message, hint } = invalidProxyVariable(variable)
    return new ConfigError('invalid_value', message, { hint })
  })
  const agentOptions = { connect: tls, headersTimeout: timeout, bodyTimeout: timeout }
  const agents = new Map<ProxyChoice | 'direct', InstanceType<Undici['Agent']> | InstanceType<Undici['ProxyAgent']>>()
  const build = (choice: ProxyChoice | 'direct') =>
    choice === 'direct'
      ? new undici.Agent(agentOptions)
      : new undici.ProxyAgent({
          ...agentOptions,
          uri: choice.url.href,
          // Through a proxy, the TLS session to the target is built from requestTls.
          requestTls: tls,
          // Only an https:// proxy is spoken to in TLS; undici speaks TLS to a SOCKS5 proxy given any proxyTls at all.
          ...(choice.url.protocol.startsWith('socks') ? {} : { proxyTls: tls }),
          // Plain-http targets go as absolute-form requests: many proxies refuse CONNECT to port 80.
          proxyTunnel: false,
          factory: poolFactory(undici),
          // The connection to the proxy, which carries the CONNECT: its answer is bounded as any response head (undici waits 300 s).
          clientFactory: (origin: URL, opts: object) => new undici.Pool(origin, { ...opts, headersTimeout: timeout, bodyTimeout: timeout }),
        })
  return (target: URL) => {
    const proxy = proxyFor(settings, target)
    const key = proxy ?? 'direct'
    let dispatcher = agents.get(key)
    if (!dispatcher) agents.set(key, (dispatcher = build(key)))
    const retire = (): void => {
      if (agents.get(key) === dispatcher) agents.delete(key)
      dispatcher?.destroy().catch(() => {})
    }
    return { dispatcher, retire, ...(proxy ? { proxy } : {}) }
  }
}
