import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TransportError, type HttpClient, type HttpRequestInit } from '../../../src/http/types'
import { clientAuthentication } from '../../../src/oauth/client-auth'
import { OAuthError, ProtocolError } from '../../../src/oauth/errors'
import { parseTokenResponse, requestToken, type TokenEndpointContext } from '../../../src/oauth/token-endpoint'
import type {
  AuthorizationCode,
  ClientSecret,
  CodeVerifier,
  DeviceCode,
  OAuthClient,
  RefreshToken,
} from '../../../src/oauth/types'
import {
  fullTokenBody,
  html502Body,
  livechat422Body,
  livechatTokenBody,
  refreshWithoutRotationBody,
  rfc6749ErrorCases,
  SECRETS,
} from '../../fixtures/oauth/bodies'
import { basic, jsonResponse, scriptedHttp, textResponse } from './helpers'
import { rejectionOf } from '../../fakes'

const NOW = Date.UTC(2026, 0, 1)

const rejection = (promise: Promise<unknown>) => rejectionOf(promise)

function expectNoSecret(message: string): void {
  for (const secret of Object.values(SECRETS)) expect(message).not.toContain(secret)
}

describe('parseTokenResponse: success', () => {
  it('reads every standard field, makes expiry absolute and keeps the rest in extra', async () => {
    const tokens = await parseTokenResponse(jsonResponse(200, fullTokenBody), NOW, 'token')
    expect(tokens).toEqual({
      access_token: SECRETS.accessToken,
      token_type: 'Bearer',
      refresh_token: SECRETS.refreshToken,
      expires_at: NOW + 3600_000,
      scope: ['openid', 'profile', 'offline_access'],
      extra: { id_token: SECRETS.idToken },
    })
  })

  it('reads LiveChat’s answer: comma scopes, ids kept in extra, fra-a: token untouched', async () => {
    const tokens = await parseTokenResponse(jsonResponse(200, livechatTokenBody), NOW, 'token')
    expect(tokens.access_token).toBe('fra-a:FIXTURE-lc-access-Xy0')
    expect(tokens.refresh_token).toBe(SECRETS.livechatRefresh)
    expect(tokens.scope).toEqual(['chats--all:ro', 'agents--all:ro'])
    expect(tokens.expires_at).toBe(NOW + 28_800_000)
    expect(tokens.extra).toEqual({
      account_id: livechatTokenBody.account_id,
      organization_id: livechatTokenBody.organization_id,
    })
  })

  it('leaves refresh_token out of a refresh answer that has none, and keeps the type as spelled', async () => {
    const tokens = await parseTokenResponse(jsonResponse(200, refreshWithoutRotationBody), NOW, 'refresh')
    expect(tokens).not.toHaveProperty('refresh_token')
    expect(tokens.token_type).toBe('bearer')
    expect(tokens.scope).toEqual([])
  })

  it.each([
    ['missing expires_in', {}, undefined],
    ['expires_in as a string', { expires_in: '120' }, NOW + 120_000],
  ])('handles %s', async (_name, fields, expiresAt) => {
    const tokens = await parseTokenResponse(jsonResponse(200, { access_token: 'a', token_type: 'Bearer', ...fields }), NOW, 'token')
    expect(tokens.expires_at).toBe(expiresAt)
  })

  it.each([
    ['a negative expires_in', -5, 'negative'],
    ['a non-numeric expires_in', 'abc', 'not a number'],
    ['an expires_in beyond any date', 1e13, 'beyond any date'],
    ['an object as expires_in', { s: 1 }, 'not a number'],
  ])('keeps the tokens of an answer with %s, expiry unknown, with a note saying so', async (_name, expires_in, why) => {
    const tokens = await parseTokenResponse(jsonResponse(200, { access_token: SECRETS.accessToken, expires_in }), NOW, 'refresh')
    expect(tokens.access_token).toBe(SECRETS.accessToken)
    expect(tokens.expires_at).toBeUndefined()
    expect(tokens.notes).toHaveLength(1)
    expect(tokens.notes?.[0]).toContain(why)
    expectNoSecret(tokens.notes?.[0] ?? '')
  })

  it.each([
    ['space-separated', 'a b  c', ['a', 'b', 'c']],
    ['comma-separated', 'a,b,c', ['a', 'b', 'c']],
    ['comma and space', 'a, b ,c', ['a', 'b', 'c']],
    ['a list', ['a', 'b'], ['a', 'b']],
    ['empty', '', []],
  ])('splits a %s scope', async (_name, scope, expected) => {
    const tokens = await parseTokenResponse(jsonResponse(200, { access_token: 'a', token_type: 'Bearer', scope }), NOW, 'token')
    expect(tokens.scope).toEqual(expected)
  })

  it('takes a missing token_type as Bearer', async () => {
    const tokens = await parseTokenResponse(jsonResponse(200, { access_token: 'a' }), NOW, 'token')
    expect(tokens.token_type).toBe('Bearer')
  })

  it('reads a form-encoded answer from a server that ignores Accept', async () => {
    const response = textResponse(200, 'access_token=a1&token_type=bearer&scope=repo%2Cgist', 'application/x-www-form-urlencoded')
    const tokens = await parseTokenResponse(response, NOW, 'token')
    expect(tokens).toMatchObject({ access_token: 'a1', scope: ['repo', 'gist'] })
  })
})

describe('parseTokenResponse: failures', () => {
  it.each(rfc6749ErrorCases)('turns RFC 6749 §5.2 $error ($status) into OAuthError', async ({ error, status }) => {
    const response = jsonResponse(status, { error, error_description: `about ${error}` })
    const err = await rejection(parseTokenResponse(response, NOW, 'token'))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ step: 'token', error, error_description: `about ${error}`, status })
  })

  it('turns invalid_client with a WWW-Authenticate challenge into OAuthError', async () => {
    const response = jsonResponse(401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="token"' })
    expect(await rejection(parseTokenResponse(response, NOW, 'refresh'))).toMatchObject({ step: 'refresh', error: 'invalid_client', status: 401 })
  })

  it('turns LiveChat’s 422 with invalid_fields into OAuthError invalid_request', async () => {
    const err = await rejection(parseTokenResponse(jsonResponse(422, livechat422Body), NOW, 'token'))
    expect(err).toMatchObject({ error: 'invalid_request', error_description: 'Invalid request fields', status: 422 })
  })

  it('turns a 5xx with an RFC body into OAuthError too', async () => {
    const err = await rejection(parseTokenResponse(jsonResponse(503, { error: 'temporarily_unavailable' }), NOW, 'token'))
    expect(err).toMatchObject({ error: 'temporarily_unavailable', status: 503 })
  })

  it.each([
    ['an RFC body', jsonResponse(429, { error: 'slow_down' }, { 'retry-after': '30' })],
    ['a text page', new Response('Too Many Requests', { status: 429, headers: { 'content-type': 'text/plain', 'retry-after': '30' } })],
    ['{}', jsonResponse(429, {}, { 'retry-after': '30' })],
  ])('keeps the Retry-After of a 429 with %s, so the message can say how long to wait', async (_name, response) => {
    const err = await rejection(parseTokenResponse(response, NOW, 'refresh'))
    expect(err).toMatchObject({ status: 429, retryAfter: '30' })
  })

  it('turns a 200 with an error body and no token into OAuthError', async () => {
    const err = await rejection(parseTokenResponse(jsonResponse(200, { error: 'bad_verification_code' }), NOW, 'token'))
    expect(err).toMatchObject({ error: 'bad_verification_code', status: 200 })
  })

  it('turns a 502 HTML page into not_json naming status and type but not the body', async () => {
    const err = await rejection(parseTokenResponse(textResponse(502, html502Body), NOW, 'token'))
    expect(err).toBeInstanceOf(ProtocolError)
    expect((err as ProtocolError).code).toBe('not_json')
    expect(err.message).toContain('502')
    expect(err.message).toContain('text/html')
    expect(err.message).not.toContain('Bad Gateway')
    expectNoSecret(err.message)
  })

  it('turns a 200 HTML page into not_json', async () => {
    const err = await rejection(parseTokenResponse(textResponse(200, html502Body), NOW, 'token'))
    expect((err as ProtocolError).code).toBe('not_json')
    expectNoSecret(err.message)
  })

  it.each([
    ['no access_token', { token_type: 'Bearer', refresh_token: SECRETS.refreshToken }],
    ['an empty access_token', { access_token: '', refresh_token: SECRETS.refreshToken }],
    ['a numeric scope', { access_token: SECRETS.accessToken, scope: 5 }],
    ['a numeric refresh_token', { access_token: SECRETS.accessToken, refresh_token: 5 }],
  ])('turns a 200 with %s into invalid_response without the body', async (_name, body) => {
    const err = await rejection(parseTokenResponse(jsonResponse(200, body), NOW, 'token'))
    expect((err as ProtocolError).code).toBe('invalid_response')
    expect(err.message).toContain('200')
    expect(err.message).toContain('application/json')
    expectNoSecret(err.message)
  })

  it('turns a JSON array into not_json', async () => {
    const err = await rejection(parseTokenResponse(jsonResponse(200, [SECRETS.accessToken]), NOW, 'token'))
    expect((err as ProtocolError).code).toBe('not_json')
  })

  it('refuses a token type it cannot use', async () => {
    const err = await rejection(parseTokenResponse(jsonResponse(200, { access_token: SECRETS.accessToken, token_type: 'mac' }), NOW, 'token'))
    expect((err as ProtocolError).code).toBe('unsupported_token_type')
    expectNoSecret(err.message)
  })
})

const metadata = { issuer: 'https://id.acme.example', token_endpoint: 'https://id.acme.example/token' }
const postClient: OAuthClient = {
  client_id: 'cid',
  client_secret: SECRETS.clientSecret as ClientSecret,
  token_endpoint_auth_method: 'client_secret_post',
}
const codeGrant = {
  grant_type: 'authorization_code',
  code: 'dal:abc' as AuthorizationCode,
  redirect_uri: 'http://localhost:3000/callback',
  code_verifier: SECRETS.verifier as CodeVerifier,
} as const

function context(http: TokenEndpointContext['http'], overrides: Partial<TokenEndpointContext> = {}): TokenEndpointContext {
  return { metadata, client: postClient, encoding: 'form', http, now: () => NOW, ...overrides }
}

describe('parseTokenResponse: tokens RFC 6749 allows (A.12, A.17: 1*VSCHAR, printable ASCII)', () => {
  const INJECTED = 'AT1\r\nX-Injected: 1'

  it.each([
    ['CR LF (a header injected into whoever sends it)', INJECTED],
    ['NUL', 'at\u0000x'],
    ['a tab', 'at\tx'],
    ['DEL', 'at\u007fx'],
    ['non-ASCII', 'at-\u00e9t\u00e9'],
    ['a C1 control', 'at\u0085x'],
  ])('refuses an access_token with %s, naming the field but never the token', async (_, token) => {
    const err = await rejection(parseTokenResponse(jsonResponse(200, { access_token: token, token_type: 'Bearer' }), NOW, 'refresh'))
    expect(err).toBeInstanceOf(ProtocolError)
    expect((err as ProtocolError).code).toBe('invalid_response')
    expect((err as Error).message).toMatch(/refresh response has an access_token with characters a token may not hold/)
    expect((err as Error).message).not.toContain(token)
    expect((err as Error).message).not.toContain('Injected')
  })

  it('accepts every printable ASCII character, space included', async () => {
    const every = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('')
    const tokens = await parseTokenResponse(jsonResponse(200, { access_token: every, refresh_token: every }), NOW, 'token')
    expect(tokens.access_token).toBe(every)
    expect(tokens.refresh_token).toBe(every)
  })

  it('keeps a good access token whose refresh_token is not allowed: the refresh token is left out, with a note that never shows it', async () => {
    const tokens = await parseTokenResponse(jsonResponse(200, { access_token: 'at-good', refresh_token: 'RT\u0000x' }), NOW, 'refresh')
    expect(tokens.access_token).toBe('at-good')
    expect(tokens.refresh_token).toBeUndefined()
    expect(tokens.notes?.join('\n')).toMatch(/refresh_token with characters a token may not hold.*left out/)
    expect(tokens.notes?.join('\n')).not.toContain('RT\u0000x')
  })

  it('hands the error a good refresh token from an answer whose access token is not allowed, so a refresh can keep it', async () => {
    const err = await rejection(parseTokenResponse(jsonResponse(200, { access_token: INJECTED, refresh_token: 'rt-new' }), NOW, 'refresh'))
    expect(err).toBeInstanceOf(ProtocolError)
    expect((err as ProtocolError).issued).toEqual({ refresh_token: 'rt-new' })
    const both = await rejection(parseTokenResponse(jsonResponse(200, { access_token: INJECTED, refresh_token: 'RT\u0000x' }), NOW, 'refresh'))
    expect((both as ProtocolError).issued).toBeUndefined()
  })

  it.each([
    ['token_type "DPoP"', { access_token: 'at-x', token_type: 'DPoP' }, 'unsupported_token_type'],
    ['a scope that is not a string', { access_token: 'at-x', scope: 5 }, 'invalid_response'],
    ['no access_token', { token_type: 'Bearer' }, 'invalid_response'],
    ['an empty access_token', { access_token: '' }, 'invalid_response'],
  ])('hands the error a good refresh token from an answer refused for %s, and none when the refresh token is not good either', async (_, answer, code) => {
    const err = await rejection(parseTokenResponse(jsonResponse(200, { ...answer, refresh_token: 'rt-new' }), NOW, 'refresh'))
    expect(err).toBeInstanceOf(ProtocolError)
    expect((err as ProtocolError).code).toBe(code)
    expect((err as ProtocolError).issued).toEqual({ refresh_token: 'rt-new' })
    expect((err as Error).message).not.toContain('rt-new')
    for (const refresh_token of ['RT\u0000x', '', undefined]) {
      const without = await rejection(parseTokenResponse(jsonResponse(200, { ...answer, refresh_token }), NOW, 'refresh'))
      expect((without as ProtocolError).issued).toBeUndefined()
    }
  })
})

describe('requestToken: request shapes', () => {
  it('posts a form body with client_secret_post and returns the tokens', async () => {
    const http = scriptedHttp(jsonResponse(200, fullTokenBody))
    const tokens = await requestToken(context(http), codeGrant)
    const [request] = http.requests
    expect(request).toMatchObject({ url: 'https://id.acme.example/token', method: 'POST' })
    expect(request?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/)
    expect(request?.headers.accept).toBe('application/json')
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      grant_type: 'authorization_code',
      code: 'dal:abc',
      redirect_uri: 'http://localhost:3000/callback',
      code_verifier: SECRETS.verifier,
      client_id: 'cid',
      client_secret: SECRETS.clientSecret,
    })
    expect(tokens.access_token).toBe(SECRETS.accessToken)
  })

  it('sends the same fields as a JSON object with json encoding', async () => {
    const http = scriptedHttp(jsonResponse(200, livechatTokenBody))
    await requestToken(context(http, { encoding: 'json' }), codeGrant)
    const [request] = http.requests
    expect(request?.headers['content-type']).toBe('application/json')
    expect(JSON.parse(request?.body ?? '')).toEqual({
      grant_type: 'authorization_code',
      code: 'dal:abc',
      redirect_uri: 'http://localhost:3000/callback',
      code_verifier: SECRETS.verifier,
      client_id: 'cid',
      client_secret: SECRETS.clientSecret,
    })
  })

  it('puts client_secret_basic credentials in the Authorization header only', async () => {
    const http = scriptedHttp(jsonResponse(200, fullTokenBody))
    await requestToken(context(http, { client: { ...postClient, token_endpoint_auth_method: 'client_secret_basic' } }), codeGrant)
    const [request] = http.requests
    expect(request?.headers.authorization).toBe(basic('cid', SECRETS.clientSecret))
    const body = new URLSearchParams(request?.body)
    expect(body.has('client_secret')).toBe(false)
    expect(body.has('client_id')).toBe(false)
  })

  it.each([
    ['none', { client_id: 'cid', token_endpoint_auth_method: 'none' }],
    ['client_secret_post without a secret', { client_id: 'cid', token_endpoint_auth_method: 'client_secret_post' }],
    ['client_secret_basic without a secret', { client_id: 'cid', token_endpoint_auth_method: 'client_secret_basic' }],
  ] as const)('sends client_id in the body and no secret for %s', async (_name, client) => {
    const http = scriptedHttp(jsonResponse(200, fullTokenBody))
    await requestToken(context(http, { client }), codeGrant)
    const [request] = http.requests
    const body = new URLSearchParams(request?.body)
    expect(body.get('client_id')).toBe('cid')
    expect(body.has('client_secret')).toBe(false)
    expect(request?.headers).not.toHaveProperty('authorization')
  })

  it('omits code_verifier when the login used no PKCE', async () => {
    const http = scriptedHttp(jsonResponse(200, fullTokenBody))
    const { code_verifier: _unused, ...withoutVerifier } = codeGrant
    await requestToken(context(http), withoutVerifier)
    expect(new URLSearchParams(http.requests[0]?.body).has('code_verifier')).toBe(false)
  })

  it('sends a refresh grant, with scope when asked, and reports failures as the refresh step', async () => {
    const http = scriptedHttp(jsonResponse(200, refreshWithoutRotationBody), jsonResponse(400, { error: 'invalid_grant' }))
    const grant = { grant_type: 'refresh_token', refresh_token: SECRETS.refreshToken as RefreshToken } as const
    await requestToken(context(http), { ...grant, scope: 'read' })
    expect(Object.fromEntries(new URLSearchParams(http.requests[0]?.body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: SECRETS.refreshToken,
      scope: 'read',
      client_id: 'cid',
      client_secret: SECRETS.clientSecret,
    })
    expect(await rejection(requestToken(context(http), grant))).toMatchObject({ step: 'refresh', error: 'invalid_grant' })
  })

  it('sends a device code grant', async () => {
    const http = scriptedHttp(jsonResponse(200, fullTokenBody))
    const grant = { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: SECRETS.deviceCode as DeviceCode } as const
    await requestToken(context(http, { client: { client_id: 'cid', token_endpoint_auth_method: 'none' } }), grant)
    expect(Object.fromEntries(new URLSearchParams(http.requests[0]?.body))).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: SECRETS.deviceCode,
      client_id: 'cid',
    })
  })

  it('sends a client credentials grant', async () => {
    const http = scriptedHttp(jsonResponse(200, { access_token: 'a', token_type: 'Bearer' }))
    await requestToken(context(http), { grant_type: 'client_credentials', scope: 'api' })
    const body = new URLSearchParams(http.requests[0]?.body)
    expect(body.get('grant_type')).toBe('client_credentials')
    expect(body.get('scope')).toBe('api')
  })

  it('lets a TransportError from the HttpClient through unchanged', async () => {
    const failure = new TransportError('connect', 'https://id.acme.example/token', 'connection refused')
    const err = await rejection(requestToken(context(scriptedHttp(failure)), codeGrant))
    expect(err).toBe(failure)
  })

  it('refuses to send without a token endpoint', async () => {
    const http = scriptedHttp()
    const err = await rejection(requestToken(context(http, { metadata: { issuer: 'https://id.acme.example' } }), codeGrant))
    expect((err as ProtocolError).code).toBe('missing_endpoint')
    expect(http.requests).toHaveLength(0)
  })

  it('computes expires_at from the context clock', async () => {
    const http = scriptedHttp(jsonResponse(200, fullTokenBody))
    const tokens = await requestToken(context(http, { now: () => 1_000 }), codeGrant)
    expect(tokens.expires_at).toBe(1_000 + 3_600_000)
  })
})

describe('requestToken: client_secret_basic encoding', () => {
  it('form-encodes reserved characters of id and secret before base64 (RFC 6749 §2.3.1)', async () => {
    const http = scriptedHttp(jsonResponse(200, fullTokenBody))
    const client: OAuthClient = { client_id: 'app:1', client_secret: 'a+b/c d~e' as ClientSecret, token_endpoint_auth_method: 'client_secret_basic' }
    await requestToken(context(http, { client }), codeGrant)
    expect(http.requests[0]?.headers.authorization).toBe(basic('app%3A1', 'a%2Bb%2Fc+d~e'))
  })

  it('percent-encodes %, & and = and non-ASCII characters as UTF-8', async () => {
    const http = scriptedHttp(jsonResponse(200, fullTokenBody))
    const client: OAuthClient = { client_id: 'ü@x', client_secret: '50%&a=b€' as ClientSecret, token_endpoint_auth_method: 'client_secret_basic' }
    await requestToken(context(http, { client }), codeGrant)
    expect(http.requests[0]?.headers.authorization).toBe(basic('%C3%BC%40x', '50%25%26a%3Db%E2%82%AC'))
  })

  it('gives back any id and secret to a server that form-decodes both halves', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), fc.string({ unit: 'grapheme', minLength: 1 }), (id, secret) => {
        const header = clientAuthentication({ client_id: id, client_secret: secret as ClientSecret, token_endpoint_auth_method: 'client_secret_basic' }).authorization
        const decoded = Buffer.from((header ?? '').replace(/^Basic /, ''), 'base64').toString('utf8')
        const [user, password, ...rest] = decoded.split(':')
        const formDecode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '))
        expect(rest).toEqual([])
        expect([formDecode(user ?? ''), formDecode(password ?? '')]).toEqual([id, secret])
      }),
    )
  })
})

describe('requestToken: JSON encoding', () => {
  it('sends a refresh grant as a JSON object, with the public client\'s id', async () => {
    const http = scriptedHttp(jsonResponse(200, refreshWithoutRotationBody))
    const client: OAuthClient = { client_id: 'cid', token_endpoint_auth_method: 'none' }
    await requestToken(context(http, { encoding: 'json', client }), { grant_type: 'refresh_token', refresh_token: SECRETS.refreshToken as RefreshToken })
    const [request] = http.requests
    expect(request?.headers['content-type']).toBe('application/json')
    expect(request?.headers.accept).toBe('application/json')
    expect(JSON.parse(request?.body ?? '')).toEqual({ grant_type: 'refresh_token', refresh_token: SECRETS.refreshToken, client_id: 'cid' })
  })

  it('keeps client_secret_basic in the Authorization header, out of the JSON body', async () => {
    const http = scriptedHttp(jsonResponse(200, fullTokenBody))
    await requestToken(context(http, { encoding: 'json', client: { ...postClient, token_endpoint_auth_method: 'client_secret_basic' } }), {
      grant_type: 'client_credentials',
      scope: 'api',
    })
    const [request] = http.requests
    expect(request?.headers.authorization).toBe(basic('cid', SECRETS.clientSecret))
    expect(JSON.parse(request?.body ?? '')).toEqual({ grant_type: 'client_credentials', scope: 'api' })
  })
})

describe('requestToken: answers', () => {
  const grant = { grant_type: 'refresh_token', refresh_token: SECRETS.refreshToken as RefreshToken } as const

  it('turns an RFC 6749 error body into an OAuthError with error, description and status', async () => {
    const http = scriptedHttp(jsonResponse(400, { error: 'invalid_grant', error_description: 'refresh token expired' }))
    expect(await rejection(requestToken(context(http), grant))).toMatchObject({
      name: 'OAuthError',
      step: 'refresh',
      error: 'invalid_grant',
      error_description: 'refresh token expired',
      status: 400,
    })
  })

  it('turns a 5xx HTML page into a ProtocolError with the status, naming the endpoint but not the body', async () => {
    const http = scriptedHttp(textResponse(503, html502Body))
    const err = await rejection(requestToken(context(http), grant))
    expect(err).toBeInstanceOf(ProtocolError)
    expect(err).toMatchObject({ code: 'not_json', status: 503 })
    expect((err as Error).message).toContain('https://id.acme.example/token')
    expect((err as Error).message).not.toContain('<html')
  })

  it.each([
    ['not a URL', 'token', 'missing_endpoint'],
    ['not http(s)', 'ftp://id.acme.example/token', 'insecure_endpoint'],
  ])('refuses a token_endpoint that is %s, sending nothing', async (_name, token_endpoint, code) => {
    const http = scriptedHttp()
    const err = await rejection(requestToken(context(http, { metadata: { issuer: 'https://id.acme.example', token_endpoint } }), grant))
    expect((err as ProtocolError).code).toBe(code)
    expect(http.requests).toHaveLength(0)
  })

  it('asks the client never to follow a redirect', async () => {
    let seen: HttpRequestInit | undefined
    const http: HttpClient = async (_url, init) => ((seen = init), jsonResponse(200, fullTokenBody))
    await requestToken(context(http), grant)
    expect(seen?.redirect).toBe('manual')
  })
})
