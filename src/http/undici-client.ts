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
  const route = await createRouter(undici, options)
  return async (url, init = {}) => {
    const target = new URL(url)
    const request = prepareRequest(init, options.userAgent)
    const { dispatcher, proxy } = route(target)
    try {
      const res = await undici.request(target, {
        dispatcher,
        method: request.method as 'GET',
        headers: withTransportDefaults(request.headers),
        body: request.body,
        signal: init.signal ?? undefined,
      })
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

/** The dispatchers, one per way out, and which one a target takes (http/proxy.ts: the proxy variables and NO_PROXY). */
async function createRouter(undici: Undici, options: HttpClientOptions & { env: Env }) {
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const ca = options.ca ? await withSystemCas(options.ca, options.env) : undefined
  const tls = ca ? { ca, timeout } : { timeout }
  const settings = readProxySettings(options.env, (variable) => {
    const { message, hint } = invalidProxyVariable(variable)
    return new ConfigError('invalid_value', message, { hint })
  })
  const agentOptions = { connect: tls, headersTimeout: timeout, bodyTimeout: timeout }
  const direct = new undici.Agent(agentOptions)
  const proxies = new Map<ProxyChoice, InstanceType<Undici['ProxyAgent']>>()
  const through = (choice: ProxyChoice) => {
    let agent = proxies.get(choice)
    if (!agent) {
      agent = new undici.ProxyAgent({
        ...agentOptions,
        uri: choice.url.href,
        // Through a proxy, the TLS session to the target is built from requestTls.
        requestTls: tls,
        proxyTls: tls,
        // Plain-http targets go as absolute-form requests: many proxies refuse CONNECT to port 80.
        proxyTunnel: false,
      })
      proxies.set(choice, agent)
    }
    return agent
  }
  return (target: URL) => {
    const proxy = proxyFor(settings, target)
    return proxy ? { dispatcher: through(proxy), proxy } : { dispatcher: direct }
  }
}
