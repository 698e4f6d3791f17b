import { describe, expect, it } from 'vitest'
import { OAuthError } from '../../../src/oauth/errors'
import { buildDeleteRevocation, revokeToken, type RevokeContext } from '../../../src/oauth/revoke'
import type { ClientSecret } from '../../../src/oauth/types'
import { SECRETS } from '../../fixtures/oauth/bodies'
import { basic, jsonResponse, scriptedHttp, textResponse } from './helpers'
import { rejectionOf } from '../../fakes'

function context(http: RevokeContext['http'], overrides: Partial<RevokeContext> = {}): RevokeContext {
  return {
    endpoint: 'https://id.acme.example/revoke',
    style: 'rfc7009',
    client: { client_id: 'cid', client_secret: SECRETS.clientSecret as ClientSecret, token_endpoint_auth_method: 'client_secret_basic' },
    encoding: 'form',
    http,
    issuer: 'https://id.acme.example',
    ...overrides,
  }
}

const rejection = (promise: Promise<unknown>) => rejectionOf(promise)

describe('revokeToken rfc7009', () => {
  it('posts token and token_type_hint with client authentication and resolves on 200', async () => {
    const http = scriptedHttp(textResponse(200, '', 'text/plain'))
    await revokeToken(context(http), SECRETS.refreshToken, 'refresh_token')
    const [request] = http.requests
    expect(request).toMatchObject({ url: 'https://id.acme.example/revoke', method: 'POST' })
    expect(request?.headers.authorization).toBe(basic('cid', SECRETS.clientSecret))
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      token: SECRETS.refreshToken,
      token_type_hint: 'refresh_token',
    })
  })

  it('sends client_id and the hint in a JSON body with json encoding and client_secret_post', async () => {
    const http = scriptedHttp(textResponse(204, ''))
    const client = { client_id: 'cid', client_secret: SECRETS.clientSecret as ClientSecret, token_endpoint_auth_method: 'client_secret_post' as const }
    await revokeToken(context(http, { encoding: 'json', client }), SECRETS.accessToken, 'access_token')
    expect(JSON.parse(http.requests[0]?.body ?? '')).toEqual({
      token: SECRETS.accessToken,
      token_type_hint: 'access_token',
      client_id: 'cid',
      client_secret: SECRETS.clientSecret,
    })
  })

  it.each([
    [400, { error: 'invalid_request', error_description: 'no token' }, 'invalid_request'],
    [503, { error: 'unsupported_token_type' }, 'unsupported_token_type'],
    [401, { error: 'invalid_client' }, 'invalid_client'],
  ])('turns a %s RFC error body into OAuthError(revoke)', async (status, body, error) => {
    const err = await rejection(revokeToken(context(scriptedHttp(jsonResponse(status, body))), SECRETS.accessToken, 'access_token'))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ step: 'revoke', error, status })
  })

  it('turns a status without an OAuth body into OAuthError naming the status, not the body', async () => {
    const err = await rejection(revokeToken(context(scriptedHttp(textResponse(500, `oops ${SECRETS.accessToken}`))), SECRETS.accessToken, 'access_token'))
    expect(err).toMatchObject({ step: 'revoke', status: 500 })
    expect(err.message).toContain('500')
    expect(err.message).not.toContain(SECRETS.accessToken)
  })
})

describe('revokeToken delete_bearer', () => {
  const liveChat = (http: RevokeContext['http']) =>
    context(http, { style: 'delete_bearer', endpoint: 'https://accounts.livechat.com/v2/token' })

  it('builds DELETE with the token as a Bearer credential', () => {
    const { url, init } = buildDeleteRevocation('https://accounts.livechat.com/v2/token', SECRETS.livechatAccess)
    expect(url).toBe('https://accounts.livechat.com/v2/token')
    expect(init.method).toBe('DELETE')
    expect(init.headers.authorization).toBe(`Bearer ${SECRETS.livechatAccess}`)
  })

  it('sends DELETE with the Bearer header and no body, and resolves on 200 {}', async () => {
    const http = scriptedHttp(jsonResponse(200, {}))
    await revokeToken(liveChat(http), SECRETS.livechatAccess, 'access_token')
    const [request] = http.requests
    expect(request).toMatchObject({ url: 'https://accounts.livechat.com/v2/token', method: 'DELETE', body: undefined })
    expect(request?.headers.authorization).toBe(`Bearer ${SECRETS.livechatAccess}`)
  })

  it('tolerates 404: the token is already gone', async () => {
    await expect(revokeToken(liveChat(scriptedHttp(jsonResponse(404, { error: 'not_found' }))), 'x', 'refresh_token')).resolves.toBeUndefined()
  })

  it('turns another status into OAuthError(revoke) from the body', async () => {
    const http = scriptedHttp(jsonResponse(401, { error: 'unauthorized', error_description: 'bad token' }))
    const err = await rejection(revokeToken(liveChat(http), 'x', 'access_token'))
    expect(err).toMatchObject({ step: 'revoke', error: 'unauthorized', error_description: 'bad token', status: 401 })
  })

  it('turns another status without a body into OAuthError(revoke) from the status', async () => {
    const err = await rejection(revokeToken(liveChat(scriptedHttp(textResponse(502, '<html>'))), 'x', 'access_token'))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ step: 'revoke', status: 502 })
  })
})
