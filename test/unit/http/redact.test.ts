import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { REDACTED, redactBody, redactHeaders, redactText, redactUrl } from '../../../src/http/redact'

const JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.c2lnbmF0dXJlLXBhcnQtb2YtdGhlLXRva2Vu'

describe('redactHeaders', () => {
  it.each([
    ['Authorization', 'Bearer abc.def-123', 'Bearer [redacted]'],
    ['authorization', 'Basic dXNlcjpwYXNz', 'Basic [redacted]'],
    // Livestorm sends the bare token, without a scheme.
    ['Authorization', 'lstm_0123456789abcdef', REDACTED],
    ['Proxy-Authorization', 'Basic dXNlcjpwYXNz', 'Basic [redacted]'],
    ['Cookie', 'session=abc123', REDACTED],
    ['Set-Cookie', 'sid=abc123; HttpOnly', REDACTED],
    ['X-Tidio-Openapi-Client-Secret', 'tidio-secret-value', REDACTED],
    ['X-Api-Key', 'k-123456', REDACTED],
    ['X-Auth-Token', 't-123456', REDACTED],
    ['X-Session-Id', 's-123456', REDACTED],
    ['X-Db-Password', 'hunter22', REDACTED],
    ['X-Tidio-Openapi-Client-Id', 'public-client-id', 'public-client-id'],
    ['Content-Type', 'application/json', 'application/json'],
    ['Location', 'http://127.0.0.1:8085/callback?code=abc123&state=xyz', 'http://127.0.0.1:8085/callback?code=[redacted]&state=xyz'],
  ])('%s: %s → %s', (name, value, expected) => {
    expect(redactHeaders({ [name]: value })[name]).toBe(expected)
  })

  it('accepts a Headers object', () => {
    const out = redactHeaders(new Headers({ Authorization: 'Bearer zzz', Accept: 'application/json' }))
    expect(out).toEqual({ authorization: 'Bearer [redacted]', accept: 'application/json' })
  })
})

describe('redactUrl', () => {
  it.each([
    ['https://a.example/cb?code=abc&state=st1', 'https://a.example/cb?code=[redacted]&state=st1'],
    ['https://a.example/t?access_token=x1&refresh_token=x2&id_token=x3', 'https://a.example/t?access_token=[redacted]&refresh_token=[redacted]&id_token=[redacted]'],
    ['https://a.example/t?client_secret=s&code_verifier=v&device_code=d', 'https://a.example/t?client_secret=[redacted]&code_verifier=[redacted]&device_code=[redacted]'],
    ['https://a.example/t?token=t&password=p&api_key=k&key=k2&secret=s&assertion=a', 'https://a.example/t?token=[redacted]&password=[redacted]&api_key=[redacted]&key=[redacted]&secret=[redacted]&assertion=[redacted]'],
    ['https://a.example/cb?refreshToken=abc', 'https://a.example/cb?refreshToken=[redacted]'],
    ['https://a.example/cb?user_code=WDJB-MJHT&client_id=abc', 'https://a.example/cb?user_code=WDJB-MJHT&client_id=abc'],
    ['https://a.example/cb#access_token=abc&token_type=bearer', 'https://a.example/cb#access_token=[redacted]&token_type=bearer'],
    ['https://user:pa55@a.example/x', 'https://user:[redacted]@a.example/x'],
    [`https://a.example/x?hint=${JWT}`, 'https://a.example/x?hint=[redacted]'],
    ['https://a.example/plain/path', 'https://a.example/plain/path'],
  ])('%s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected)
  })

  it('accepts a URL object and falls back to text redaction for junk', () => {
    expect(redactUrl(new URL('https://a.example/?code=1234'))).toBe('https://a.example/?code=[redacted]')
    expect(redactUrl('not a url code=abcd')).toBe('not a url code=[redacted]')
  })
})

describe('redactBody', () => {
  it.each([
    [
      'form',
      'grant_type=authorization_code&code=abc&code_verifier=ver&client_id=cid&redirect_uri=http%3A%2F%2F127.0.0.1',
      'application/x-www-form-urlencoded',
      'grant_type=authorization_code&code=[redacted]&code_verifier=[redacted]&client_id=cid&redirect_uri=http%3A%2F%2F127.0.0.1',
    ],
    ['form without content type', 'refresh_token=r1&grant_type=refresh_token', undefined, 'refresh_token=[redacted]&grant_type=refresh_token'],
    [
      'token response',
      '{"access_token":"a1","token_type":"Bearer","refresh_token":"r1","expires_in":3600,"scope":"x"}',
      'application/json',
      '{"access_token":"[redacted]","token_type":"Bearer","refresh_token":"[redacted]","expires_in":3600,"scope":"x"}',
    ],
    [
      'nested JSON',
      '{"data":{"creds":[{"client_secret":"s1","name":"n"}],"accessToken":"a2"}}',
      'application/json; charset=utf-8',
      '{"data":{"creds":[{"client_secret":"[redacted]","name":"n"}],"accessToken":"[redacted]"}}',
    ],
    ['JSON without content type', '{"password":"p"}', undefined, '{"password":"[redacted]"}'],
    ['device response keeps user_code', '{"device_code":"d1","user_code":"WDJB-MJHT"}', 'application/json', '{"device_code":"[redacted]","user_code":"WDJB-MJHT"}'],
    ['numeric error code stays', '{"error":{"code":401,"message":"no"}}', 'application/json', '{"error":{"code":401,"message":"no"}}'],
    ['JWT in any field', `{"note":"${JWT}"}`, 'application/json', '{"note":"[redacted]"}'],
    ['JWT in form', `hint=${JWT}&x=1`, 'application/x-www-form-urlencoded', 'hint=[redacted]&x=1'],
    ['broken JSON falls back to text', '{"access_token":"a1",', 'application/json', '{"access_token":"[redacted]",'],
    ['plain text', 'hello world', 'text/plain', 'hello world'],
  ])('%s', (_name, body, contentType, expected) => {
    expect(redactBody(body, contentType)).toBe(expected)
  })
})

describe('redactText', () => {
  it.each([
    ['Bearer header in a message', 'sent Authorization: Bearer abc123def', 'sent Authorization: Bearer [redacted]'],
    ['Basic credentials', 'used Basic dXNlcjpwYXNz=', 'used Basic [redacted]'],
    ['JWT', `token was ${JWT} ok`, 'token was [redacted] ok'],
    ['key=value', 'POST body code=abc123&state=s1', 'POST body code=[redacted]&state=s1'],
    ['"key":"value"', 'got {"refresh_token": "r-123", "scope": "a"}', 'got {"refresh_token": "[redacted]", "scope": "a"}'],
    ["util.inspect shape", "{ client_secret: 'abc', client_id: 'id' }", "{ client_secret: '[redacted]', client_id: 'id' }"],
    ['harmless text', 'could not connect to api.example.com:443', 'could not connect to api.example.com:443'],
    ['a password in a URL', "argument 'postgress://ci:hunter2@db:5432/oauth' is invalid", "argument 'postgress://ci:[redacted]@db:5432/oauth' is invalid"],
    ['a URL with a user only', 'connect to postgres://ci@db/oauth', 'connect to postgres://ci@db/oauth'],
    ['a lower-case scheme in an error text', 'rejected bearer abc', 'rejected bearer [redacted]'],
    ['a dotted credential', 'Authorization: Bearer abc.def', 'Authorization: Bearer [redacted]'],
    ['a scheme named in a sentence', 'token_type "mac"; only Bearer is supported', 'token_type "mac"; only Bearer is supported'],
    ['schemes compared in prose', 'use Basic auth or Bearer tokens.', 'use Basic auth or Bearer tokens.'],
    ['a challenge', 'WWW-Authenticate: Bearer realm="api", error="invalid_token"', 'WWW-Authenticate: Bearer realm="api", error="invalid_token"'],
  ])('%s', (_name, text, expected) => {
    expect(redactText(text)).toBe(expected)
  })

  it('replaces known secret values wherever they appear, longest first', () => {
    const out = redactText('failed for s3cret-value-long and s3cret-value', ['s3cret-value', 's3cret-value-long'])
    expect(out).toBe('failed for [redacted] and [redacted]')
  })

  it('ignores known values too short to be secrets', () => {
    expect(redactText('a b c', ['a'])).toBe('a b c')
  })

  it.each([
    ['percent-encoded', 'got r%2Ft%2B1%3D2%263%20x%C3%A9 back'],
    ['percent-encoded in lower case', 'got r%2ft%2b1%3d2%263%20x%c3%a9 back'],
    ['form-encoded, + for a space', 'got r%2Ft%2B1%3D2%263+x%C3%A9 back'],
    ['JSON-escaped, / as \\/ and non-ASCII as \\u', 'got r\\/t+1=2&3 x\\u00e9 back'],
  ])('replaces a known secret %s', (_form, text) => {
    expect(redactText(text, ['r/t+1=2&3 xé'])).toBe('got [redacted] back')
  })

  it('runs a secret-named value on past an & that starts no other pair', () => {
    expect(redactText('sent refresh_token=r/t+1=2&3&state=s1')).toBe('sent refresh_token=[redacted]&state=s1')
  })

  it('leaves the message the closing parenthesis after a redacted value', () => {
    expect(redactText('refused (client_secret=abc123) here')).toBe('refused (client_secret=[redacted]) here')
    expect(redactText('refused (client_secret=f(x)1)')).toBe('refused (client_secret=[redacted])')
  })
})

describe('no generated secret survives', () => {
  const tokenChars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/'.split('')
  const token = fc.string({ unit: fc.constantFrom(...tokenChars), minLength: 8, maxLength: 64 })
  const field = fc.constantFrom('access_token', 'refresh_token', 'client_secret', 'code')

  const render = (name: string, secret: string): string[] => [
    redactBody(new URLSearchParams({ grant_type: 'x', [name]: secret }).toString(), 'application/x-www-form-urlencoded'),
    redactBody(JSON.stringify({ token_type: 'Bearer', [name]: secret, nested: { [name]: secret } }), 'application/json'),
    redactUrl(`https://api.example.com/cb?state=st&${name}=${encodeURIComponent(secret)}`),
    Object.values(redactHeaders({ Authorization: `Bearer ${secret}` })).join('\n'),
    redactText(`Authorization: Bearer ${secret}`),
    redactText(`${name}=${secret}`),
  ]

  it('in form bodies, JSON bodies, URL queries and Authorization headers', () => {
    fc.assert(
      fc.property(token, field, (secret, name) => {
        // A value that happens to spell part of the scaffolding cannot be told apart from it.
        fc.pre(!render(name, 'PLACEHOLDERxyz').join('\n').includes(secret))
        for (const output of render(name, secret)) expect(output).not.toContain(secret)
      }),
      { numRuns: 300 },
    )
  })
})
