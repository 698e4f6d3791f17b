/**
 * The HttpClient behind a proxy: undici's `request()` with one
 * `EnvHttpProxyAgent` (HTTPS_PROXY/HTTP_PROXY/NO_PROXY). It costs ~50 ms to
 * load, so client.ts imports it only when a proxy variable is set; every other
 * request goes through node-client.ts.
 */
import { Readable } from 'node:stream'
import { DEFAULT_TIMEOUT_MS, prepareRequest, proxyUrl, toTransportError, withSystemCas, withTransportDefaults } from './client'
import { streamedResponse } from './streamed-response'
import type { HttpClient, HttpClientOptions } from './types'
import type { Env } from '../platform/process'
import { ConfigError } from '../providers/errors'

type Undici = typeof import('undici')

export async function createUndiciHttpClient(options: HttpClientOptions & { env: Env }): Promise<HttpClient> {
  const undici = await import('undici')
  const dispatcher = await createDispatcher(undici, options)
  return async (url, init = {}) => {
    const target = new URL(url)
    const request = prepareRequest(init, options.userAgent)
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
      throw toTransportError(err, target, init.signal)
    }
  }
}

async function createDispatcher(undici: Undici, options: HttpClientOptions & { env: Env }) {
  const { env } = options
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const ca = options.ca ? await withSystemCas(options.ca, env) : undefined
  const tls = ca ? { ca, timeout } : { timeout }
  return new undici.EnvHttpProxyAgent({
    // Passed explicitly (never undefined) so that undici does not fall back to process.env.
    httpProxy: proxyFrom(env, 'http_proxy', 'HTTP_PROXY'),
    httpsProxy: proxyFrom(env, 'https_proxy', 'HTTPS_PROXY'),
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
 * The proxy URL the lower-case variable, else the upper-case one, names ('' for none).
 * One that names no proxy is a configuration error naming the variable, never its value
 * (it may hold the proxy's password); undici would have thrown a bare "Invalid URL".
 */
function proxyFrom(env: Env, lower: string, upper: string): string {
  const name = env[lower] !== undefined ? lower : upper
  const value = env[name] ?? ''
  if (value === '') return ''
  const url = proxyUrl(value)
  if (url) return url.href
  throw new ConfigError('invalid_value', `${name} is not the URL of a proxy`, {
    hint: `set ${name} to the proxy's URL, such as http://proxy.example:3128 (http, https or socks5), or unset it`,
  })
}
