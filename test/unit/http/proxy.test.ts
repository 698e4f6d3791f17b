import { describe, expect, it } from 'vitest'
import { toTransportError } from '../../../src/http/client'
import { describeProxy, invalidProxyVariable, proxyFor, readProxySettings, type ProxySettings } from '../../../src/http/proxy'

const invalid = (variable: string): Error => new Error(invalidProxyVariable(variable).message)

function settings(env: Record<string, string>): ProxySettings {
  return readProxySettings(env, invalid)
}

describe('readProxySettings', () => {
  it('reads the lower-case variable when set, else the upper-case one, and sends https through the http proxy when none is named for it', () => {
    const both = settings({ http_proxy: 'http://low:1', HTTP_PROXY: 'http://up:2' })
    expect(both.http).toMatchObject({ variable: 'http_proxy' })
    expect(both.https).toBe(both.http)
    expect(settings({ HTTPS_PROXY: 'proxy.example:3128' }).https?.url.href).toBe('http://proxy.example:3128/')
    expect(settings({ HTTPS_PROXY: 'http://p:1' }).http).toBeUndefined()
  })

  it('refuses a variable that names no proxy, naming the variable and never its value', () => {
    expect(() => settings({ HTTPS_PROXY: 'http://ci:hunter2@[proxy' })).toThrow(/^HTTPS_PROXY is not the URL of a proxy$/)
    expect(() => settings({ http_proxy: 'ftp://proxy.example' })).toThrow(/^http_proxy is not/)
  })
})

describe('proxyFor', () => {
  const proxied = settings({ HTTPS_PROXY: 'http://p:1', HTTP_PROXY: 'http://q:2', NO_PROXY: '.internal, localhost:8080 *.corp' })
  it.each([
    ['https://api.example.com/x', 'HTTPS_PROXY'],
    ['http://api.example.com/x', 'HTTP_PROXY'],
    ['https://a.b.internal/x', undefined],
    ['https://internal/x', undefined],
    ['http://localhost:8080/x', undefined],
    ['http://localhost:8081/x', 'HTTP_PROXY'],
    ['https://x.corp/', undefined],
    ['https://notcorp/', 'HTTPS_PROXY'],
  ])('%s goes through %s', (target, variable) => {
    expect(proxyFor(proxied, new URL(target))?.variable).toBe(variable)
  })

  it('goes direct everywhere with NO_PROXY=*, and through the proxy everywhere with NO_PROXY empty', () => {
    expect(proxyFor(settings({ HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' }), new URL('https://a.example/'))).toBeUndefined()
    expect(proxyFor(settings({ HTTPS_PROXY: 'http://p:1', NO_PROXY: '' }), new URL('https://a.example/'))?.variable).toBe('HTTPS_PROXY')
  })
})

describe('describeProxy', () => {
  it('shows host and port, never the user name or password', () => {
    expect(describeProxy(new URL('http://alice:hunter2@proxy.example:3128'))).toBe('proxy.example:3128')
    expect(describeProxy(new URL('https://proxy.example'))).toBe('proxy.example:443')
  })
})

describe('toTransportError through a proxy', () => {
  const target = new URL('https://api.example.com/token?code=s3cr3t')
  const proxy = { variable: 'HTTPS_PROXY', url: new URL('http://alice:hunter2@proxy.example:3128') }
  const coded = (code: string, message = 'boom'): Error => Object.assign(new Error(message), { code })

  it.each([
    ['ECONNREFUSED', 'connect', 'could not connect to the proxy proxy.example:3128 (HTTPS_PROXY) for api.example.com:443 (connection refused)'],
    ['EHOSTUNREACH', 'connect', 'could not connect to the proxy proxy.example:3128 (HTTPS_PROXY) for api.example.com:443 (EHOSTUNREACH)'],
    ['ENOTFOUND', 'dns', 'could not resolve the host name of the proxy proxy.example:3128 (HTTPS_PROXY) (no such host)'],
    ['ECONNRESET', 'reset', 'connection to api.example.com:443 through the proxy proxy.example:3128 (HTTPS_PROXY) was reset (ECONNRESET)'],
  ])('%s: %s, naming the proxy', (code, kind, message) => {
    const err = toTransportError(coded(code), target, undefined, proxy)
    expect(err).toMatchObject({ kind, message })
    expect(err.proxyVariable).toBe(code === 'ECONNRESET' ? undefined : 'HTTPS_PROXY')
  })

  it('says a tunnel the proxy refused, with its status', () => {
    const refused = Object.assign(new Error('Proxy response (407) !== 200 when HTTP Tunneling'), { name: 'AbortError', code: 'UND_ERR_ABORTED' })
    const err = toTransportError(refused, target, undefined, proxy)
    expect(err).toMatchObject({
      kind: 'other',
      message: 'the proxy proxy.example:3128 (HTTPS_PROXY) refused to open a tunnel to api.example.com:443 (HTTP 407)',
      proxyVariable: 'HTTPS_PROXY',
      proxyStatus: 407,
    })
  })
})
