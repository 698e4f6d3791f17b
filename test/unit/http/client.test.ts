import { describe, expect, it } from 'vitest'
import { prepareRequest, toTransportError } from '../../../src/http/client'
import { TransportError, UnsendableRequestError } from '../../../src/http/types'

const url = new URL('https://api.example.com/oauth/token?code=s3cr3t-code')

function coded(code: string, message = 'boom'): Error {
  return Object.assign(new Error(message), { code })
}

describe('toTransportError', () => {
  it.each([
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout', 'timed out connecting to api.example.com:443'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout', 'timed out waiting for a response from api.example.com:443'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout', 'timed out reading the response body from api.example.com:443'],
    ['ECONNREFUSED', 'connect', 'could not connect to api.example.com:443 (connection refused)'],
    ['ENOTFOUND', 'dns', 'could not resolve api.example.com (no such host)'],
    ['EAI_AGAIN', 'dns', 'could not resolve api.example.com (temporary DNS failure)'],
    ['ECONNRESET', 'reset', 'connection to api.example.com:443 was reset (ECONNRESET)'],
    ['UND_ERR_SOCKET', 'reset', 'connection to api.example.com:443 was closed by the other side'],
    ['CERT_HAS_EXPIRED', 'tls', 'TLS connection to api.example.com:443 failed (CERT_HAS_EXPIRED)'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls', 'TLS connection to api.example.com:443 failed (ERR_TLS_CERT_ALTNAME_INVALID)'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'tls', 'TLS connection to api.example.com:443 failed (UNABLE_TO_GET_ISSUER_CERT_LOCALLY)'],
  ])('%s → %s', (code, kind, message) => {
    const err = toTransportError(coded(code), url)
    expect(err).toBeInstanceOf(TransportError)
    expect(err.kind).toBe(kind)
    expect(err.message).toBe(message)
    expect(err.url).toBe('https://api.example.com/oauth/token')
  })

  it('finds the code in a fetch-style cause and inside an AggregateError', () => {
    const fetchStyle = new TypeError('fetch failed', { cause: new AggregateError([coded('ECONNREFUSED')]) })
    expect(toTransportError(fetchStyle, url).kind).toBe('connect')
  })

  it('calls it aborted when the caller aborted, and timeout when the signal timed out', () => {
    const controller = new AbortController()
    controller.abort()
    expect(toTransportError(new Error('x'), url, controller.signal).kind).toBe('aborted')
    const timedOut = new AbortController()
    timedOut.abort(new DOMException('t', 'TimeoutError'))
    expect(toTransportError(new Error('x'), url, timedOut.signal).kind).toBe('timeout')
  })

  it('does not mistake a refused proxy tunnel for a user abort', () => {
    const err = Object.assign(new Error('Proxy response (407) !== 200 when HTTP Tunneling'), { name: 'AbortError', code: 'UND_ERR_ABORTED' })
    const mapped = toTransportError(err, url)
    expect(mapped.kind).toBe('other')
    expect(mapped.message).toBe('request to api.example.com:443 failed (Proxy response (407) !== 200 when HTTP Tunneling)')
  })

  describe('through a proxy, the proxy is named and what it did is told apart (never its credentials)', () => {
    const bare = { variable: 'HTTPS_PROXY', url: new URL('http://proxy.example:3128') }
    const withCredentials = { variable: 'HTTPS_PROXY', url: new URL('http://bob:s3cr3t-pw@proxy.example:3128') }
    const via = 'the proxy proxy.example:3128 (HTTPS_PROXY)'
    const tunnel407 = () => Object.assign(new Error('Proxy response (407) !== 200 when HTTP Tunneling'), { name: 'AbortError', code: 'UND_ERR_ABORTED' })
    it.each([
      ['a 407 to the CONNECT, no credentials in the URL', tunnel407(), bare, 'other', 'credentials_wanted', `${via} refused to open a tunnel to api.example.com:443 (HTTP 407)`],
      ['a 407 to the CONNECT, credentials in the URL', tunnel407(), withCredentials, 'other', 'credentials_refused', `${via} refused to open a tunnel to api.example.com:443 (HTTP 407)`],
      ['a 407 to a forwarded request', coded('UND_ERR_INVALID_ARG', 'Proxy Authentication Required (407)'), bare, 'other', 'credentials_wanted', `${via} refused to forward the request to api.example.com:443 (HTTP 407)`],
      ['a 502 to the CONNECT', Object.assign(new Error('Proxy response (502) !== 200 when HTTP Tunneling'), { code: 'UND_ERR_ABORTED' }), bare, 'other', 'refused', `${via} refused to open a tunnel to api.example.com:443 (HTTP 502)`],
      ['a CONNECT closed unanswered', coded('UND_ERR_PRX_CONN'), bare, 'connect', 'closed', `${via} closed the connection instead of opening a tunnel to api.example.com:443`],
      ['a CONNECT never answered', coded('UND_ERR_PRX_TIMEOUT'), bare, 'timeout', 'unreachable', `timed out waiting for ${via} to open a tunnel to api.example.com:443`],
      ['SOCKS5 credentials refused', coded('UND_ERR_SOCKS5_AUTH_FAILED', 'Authentication failed'), withCredentials, 'other', 'credentials_refused', `${via} refused the user name and password for api.example.com:443 (SOCKS5)`],
      ['SOCKS5 wants credentials', coded('UND_ERR_SOCKS5_AUTH_REJECTED', 'No acceptable authentication method'), bare, 'other', 'credentials_wanted', `${via} accepted none of the authentication methods offered for api.example.com:443 (SOCKS5)`],
      ['SOCKS5 cannot reach the target', coded('UND_ERR_SOCKS5_REPLY_5', 'SOCKS5 connection failed: Connection refused'), bare, 'other', 'refused', `${via} could not connect to api.example.com:443 (SOCKS5: Connection refused)`],
      ['the proxy refusing the connection', coded('ECONNREFUSED'), withCredentials, 'connect', 'unreachable', `could not connect to ${via} for api.example.com:443 (connection refused)`],
    ])('%s', (_name, err, proxy, kind, problem, message) => {
      const mapped = toTransportError(err, url, undefined, proxy)
      expect(mapped.kind).toBe(kind)
      expect(mapped.proxyProblem).toBe(problem)
      expect(mapped.proxyVariable).toBe('HTTPS_PROXY')
      expect(mapped.message).toBe(message)
      expect(mapped.message).not.toMatch(/bob|s3cr3t-pw/)
    })
  })

  it('tells a request refused while it was built (a header no request may carry) from a network failure', () => {
    for (const err of [coded('ERR_INVALID_CHAR', 'Invalid character in header content ["authorization"]'), coded('UND_ERR_INVALID_ARG', 'invalid authorization header')]) {
      const mapped = toTransportError(err, url)
      expect(mapped).toBeInstanceOf(UnsendableRequestError)
      expect((mapped as UnsendableRequestError).header).toBe('authorization')
      expect(mapped.message).toBe('the request to api.example.com:443 was not sent: its "authorization" header holds characters no HTTP header may carry')
    }
    // A proxy's 407 to a forwarded request is an invalid argument to undici too: still the proxy's.
    expect(toTransportError(coded('UND_ERR_INVALID_ARG', 'Proxy Authentication Required (407)'), url)).not.toBeInstanceOf(UnsendableRequestError)
  })

  it('redacts whatever detail it passes on', () => {
    const mapped = toTransportError(new Error('bad request code=s3cr3t-code'), url)
    expect(mapped.message).not.toContain('s3cr3t-code')
  })
})

describe('prepareRequest', () => {
  it('fills defaults the way fetch does and adds the User-Agent', () => {
    const req = prepareRequest({ method: 'post', body: new URLSearchParams({ a: '1' }) }, 'oauth-cli/1')
    expect(req).toEqual({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', 'user-agent': 'oauth-cli/1' },
      body: 'a=1',
    })
  })

  it('keeps the caller’s content type and user agent', () => {
    const req = prepareRequest({ headers: { 'Content-Type': 'application/json', 'User-Agent': 'x' }, body: '{}' }, 'oauth-cli/1')
    expect(req.headers).toEqual({ 'content-type': 'application/json', 'user-agent': 'x' })
    expect(req.method).toBe('GET')
  })
})
