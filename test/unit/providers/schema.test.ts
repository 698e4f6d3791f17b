import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/providers/errors'
import {
  suggestClosest,
  validateProviderConfig,
  validateRedirectUri,
} from '../../../src/providers/schema'
import { thrownBy } from '../../fakes'

const rejection = (run: () => unknown) => thrownBy(run, ConfigError)

const validate = (raw: unknown, name = 'acme') => validateProviderConfig(name, raw, 'config.json')

describe('validateProviderConfig', () => {
  it('returns a copy with every known field', () => {
    const raw = {
      issuer: 'https://id.acme.example',
      authorization_endpoint: 'https://id.acme.example/authorize?tenant=x',
      token_endpoint: 'https://id.acme.example/token',
      revocation_endpoint: 'https://id.acme.example/revoke',
      device_authorization_endpoint: 'https://id.acme.example/device',
      api_base_url: 'https://api.acme.example',
      client_id: 'abc',
      client_secret: 'xyz',
      token_endpoint_auth_method: 'none',
      scope: '',
      redirect_uri: 'https://app.acme.example/callback',
      authorization_params: { prompt: 'consent' },
      token_request_encoding: 'json',
      display_name: 'Acme',
      docs_url: 'https://docs.acme.example/oauth#apps',
      revocation_style: 'delete_bearer',
      code_challenge_method: 'none',
      default_login: 'static',
      static_credential: { format: 'ID:SECRET', scheme: 'header_pair', headers: ['X-Id', 'X-Secret'] },
      api_headers: { Accept: 'application/json' },
      pagination: 'link',
      unverified: 'from a blog post',
    }
    const out = validate(raw)
    expect(out).toEqual(raw)
    expect(out).not.toBe(raw)
  })

  it.each([
    ['token_endpoint', 'http://id.acme.example/token'],
    ['authorization_endpoint', 'http://127.0.0.1.evil.example/authorize'],
    ['revocation_endpoint', 'http://localhost.evil.example/revoke'],
    ['device_authorization_endpoint', 'http://10.0.0.1/device'],
    ['issuer', 'http://id.acme.example'],
    ['api_base_url', 'ftp://api.acme.example'],
    ['redirect_uri', 'http://app.acme.example/callback'],
  ])('rejects %s %s as insecure_endpoint', (key, value) => {
    const err = rejection(() => validate({ [key]: value }))
    expect(err.code).toBe('insecure_endpoint')
    expect(err.message).toBe(
      `config.json: providers.acme.${key}: must be an https URL (http is allowed only for 127.0.0.1, [::1] and localhost)`,
    )
  })

  it.each([
    'http://127.0.0.1:9000/token',
    'http://127.1.2.3/token',
    'http://[::1]:9000/token',
    'http://[0:0:0:0:0:0:0:1]/token',
    'http://localhost/token',
    'http://LOCALHOST:80/token',
    'https://id.acme.example/token',
  ])('accepts the endpoint %s', (url) => {
    expect(validate({ token_endpoint: url }).token_endpoint).toBe(url)
  })

  it.each([
    ['a wrong type', { scope: ['openid'] }, 'providers.acme.scope: must be a string, got array'],
    ['null', { client_id: null }, 'providers.acme.client_id: must be a string, got null'],
    ['an empty client id', { client_id: '  ' }, 'providers.acme.client_id: must not be empty'],
    ['an entry that is not an object', 'https://x', 'providers.acme: must be an object, got string'],
    [
      'a bad enum',
      { token_endpoint_auth_method: 'basic' },
      'providers.acme.token_endpoint_auth_method: must be one of client_secret_basic, client_secret_post, none, got "basic"',
    ],
    ['a bad encoding', { token_request_encoding: 'xml' }, 'providers.acme.token_request_encoding: must be one of form, json, got "xml"'],
    ['plain PKCE', { code_challenge_method: 'plain' }, 'providers.acme.code_challenge_method: must be one of S256, none, got "plain"'],
    ['a bad revocation style', { revocation_style: 'get' }, 'providers.acme.revocation_style: must be one of rfc7009, delete_bearer, got "get"'],
    ['a bad default login', { default_login: 'pat' }, 'providers.acme.default_login: must be one of oauth, static, got "pat"'],
    ['a bad pagination', { pagination: 'offset' }, 'providers.acme.pagination: must be one of jsonapi_page, cursor, next_page_id, link, got "offset"'],
    ['a relative URL', { token_endpoint: '/token' }, 'providers.acme.token_endpoint: must be an absolute URL'],
    ['a URL with credentials', { token_endpoint: 'https://u:p@id.acme.example/token' }, 'providers.acme.token_endpoint: must not contain a user name or password'],
    ['an endpoint with a fragment', { token_endpoint: 'https://id.acme.example/token#x' }, 'providers.acme.token_endpoint: must not contain a fragment (#...)'],
    ['an issuer with a query', { issuer: 'https://id.acme.example/?tenant=1' }, 'providers.acme.issuer: must not contain a query (RFC 8414 section 2)'],
    [
      'a custom-scheme redirect',
      { redirect_uri: 'myapp://callback' },
      'providers.acme.redirect_uri: must be an https URL or an http loopback URL (http://127.0.0.1, http://[::1] or http://localhost), not a myapp: URL',
    ],
    ['a docs URL that is not http', { docs_url: 'file:///etc/passwd' }, 'providers.acme.docs_url: must be an http or https URL'],
    ['a non-string header value', { api_headers: { Accept: 1 } }, 'providers.acme.api_headers.Accept: must be a string, got number'],
    ['a bad header name', { api_headers: { 'Bad Header': 'x' } }, 'providers.acme.api_headers["Bad Header"]: is not a valid HTTP header name'],
    ['a header value with a line break', { api_headers: { 'X-A': 'a\r\nX-B: b' } }, 'providers.acme.api_headers.X-A: must not contain line breaks'],
    ['a reserved authorization param', { authorization_params: { state: 'fixed' } }, 'providers.acme.authorization_params.state: cannot be set here: it is generated per login'],
    ['scope in authorization params', { authorization_params: { scope: 'a' } }, 'providers.acme.authorization_params.scope: cannot be set here: it comes from scope'],
    ['a static credential without scheme', { static_credential: { format: 'TOKEN' } }, 'providers.acme.static_credential.scheme: is required'],
    [
      'a header_pair without headers',
      { static_credential: { format: 'A:B', scheme: 'header_pair' } },
      'providers.acme.static_credential.headers: is required when scheme is header_pair',
    ],
    [
      'headers with another scheme',
      { static_credential: { format: 'T', scheme: 'raw', headers: ['X-A', 'X-B'] } },
      'providers.acme.static_credential.headers: is used only when scheme is header_pair',
    ],
    [
      'three credential headers',
      { static_credential: { format: 'A:B', scheme: 'header_pair', headers: ['X-A', 'X-B', 'X-C'] } },
      'providers.acme.static_credential.headers: must be an array of two header names',
    ],
    [
      'a typo inside static_credential',
      { static_credential: { format: 'T', scheme: 'raw', doc_url: 'https://x' } },
      'providers.acme.static_credential.doc_url: unknown key; did you mean "docs_url"?',
    ],
  ])('rejects %s as invalid_value with its JSON path', (_label, raw, message) => {
    const err = rejection(() => validate(raw))
    expect(err.code).toBe('invalid_value')
    expect(err.message).toBe(`config.json: ${message}`)
  })

  it.each([
    ['token_endpiont', 'token_endpoint'],
    ['redirect_url', 'redirect_uri'],
    ['scopes', 'scope'],
    ['clientId', 'client_id'],
    ['api_header', 'api_headers'],
  ])('suggests the closest known key for %s', (typo, suggestion) => {
    const err = rejection(() => validate({ [typo]: 'x' }))
    expect(err.code).toBe('invalid_value')
    expect(err.message).toBe(`config.json: providers.acme.${typo}: unknown key; did you mean "${suggestion}"?`)
  })

  it('lists the known keys in the hint when nothing is close', () => {
    const err = rejection(() => validate({ completely_different: 1 }))
    expect(err.message).toBe('config.json: providers.acme.completely_different: unknown key')
    expect(err.hint).toMatch(/^known keys: issuer, authorization_endpoint, token_endpoint, /)
  })

  it.each(['response_types_supported', 'jwks_uri', 'userinfo_endpoint', 'introspection_endpoint', 'registration_endpoint', 'dpop_signing_alg_values_supported'])(
    'accepts and drops the discovery key %s',
    (key) => {
      expect(validate({ token_endpoint: 'https://x.example/t', [key]: ['anything'] })).toEqual({ token_endpoint: 'https://x.example/t' })
    },
  )

  it.each([
    ['-leading-dash', 'providers.-leading-dash'],
    ['has space', 'providers["has space"]'],
    ['__proto__', 'providers.__proto__'],
  ])('rejects the provider name %j', (name, path) => {
    const err = rejection(() => validateProviderConfig(name, {}, 'config.json'))
    expect(err.code).toBe('invalid_value')
    expect(err.message).toMatch(new RegExp(`^config\\.json: ${path.replace(/[.[\]]/g, '\\$&')}: provider names start with`))
  })

  it.each(['livechat', 'my-idp.dev', 'A_b-9'])('accepts the provider name %j', (name) => {
    expect(validateProviderConfig(name, {}, 'config.json')).toEqual({})
  })

  it('never echoes a rejected secret value', () => {
    const err = rejection(() => validate({ client_secret: 42, token_endpoint: 'https://x.example/t' }))
    expect(err.message).toBe('config.json: providers.acme.client_secret: must be a string, got number')
  })
})

describe('validateRedirectUri', () => {
  it.each(['http://127.0.0.1:8085/callback', 'http://[::1]/cb', 'http://localhost:3000/callback', 'https://app.example/oauth'])(
    'accepts %s',
    (uri) => {
      expect(validateRedirectUri(uri, '--redirect-uri')).toBe(uri)
    },
  )

  it.each([
    ['http://app.example/cb', 'insecure_endpoint'],
    ['myapp:/cb', 'invalid_value'],
    ['not a url', 'invalid_value'],
    ['https://app.example/cb#frag', 'invalid_value'],
  ])('rejects %s as %s, naming the flag', (uri, code) => {
    const err = rejection(() => validateRedirectUri(uri, '--redirect-uri'))
    expect(err.code).toBe(code)
    expect(err.message).toMatch(/^--redirect-uri: /)
  })
})

describe('suggestClosest', () => {
  it.each([
    ['livehcat', ['livechat', 'livestorm', 'tidio'], 'livechat'],
    ['tidoi', ['livechat', 'livestorm', 'tidio'], 'tidio'],
    ['zzzzzzzz', ['livechat', 'livestorm', 'tidio'], undefined],
    ['x', [], undefined],
  ])('%s among %j → %s', (input, candidates, expected) => {
    expect(suggestClosest(input, candidates)).toBe(expected)
  })
})
