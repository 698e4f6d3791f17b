import { describe, expect, it } from 'vitest'
import { buildRedirect, checkAuthorizationRequest } from '../../../src/sandbox/authorize'

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
const REDIRECT = 'http://127.0.0.1:5000/callback'
const VALID = {
  response_type: 'code',
  client_id: 'oauth-cli-sandbox',
  redirect_uri: REDIRECT,
  state: 'xyz',
  code_challenge: CHALLENGE,
  code_challenge_method: 'S256',
}

function query(overrides: Record<string, string | undefined>, extra = ''): URLSearchParams {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries({ ...VALID, ...overrides })) {
    if (value !== undefined) params.set(name, value)
  }
  return new URLSearchParams(`${params}${extra}`)
}

describe('checkAuthorizationRequest', () => {
  it('accepts a complete request and grants the default scope when none is asked', () => {
    expect(checkAuthorizationRequest(query({}))).toMatchObject({
      kind: 'ok',
      request: { clientId: 'oauth-cli-sandbox', redirectUri: REDIRECT, state: 'xyz', scope: ['profile', 'items:read', 'offline_access'] },
    })
  })

  it.each([
    ['an unknown client', { client_id: 'evil' }, ''],
    ['no client', { client_id: undefined }, ''],
    ['no redirect_uri', { redirect_uri: undefined }, ''],
    ['a non-loopback redirect_uri', { redirect_uri: 'https://attacker.example/cb' }, ''],
    ['two redirect_uris', {}, '&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2F'],
  ])('shows an error page, never a redirect, for %s', (_label, overrides, extra) => {
    expect(checkAuthorizationRequest(query(overrides, extra))).toMatchObject({ kind: 'page_error' })
  })

  it.each([
    ['no response_type', { response_type: undefined }, 'invalid_request'],
    ['response_type token', { response_type: 'token' }, 'unsupported_response_type'],
    ['no code_challenge', { code_challenge: undefined }, 'invalid_request'],
    ['the plain PKCE method', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['no PKCE method (plain by default)', { code_challenge_method: undefined }, 'invalid_request'],
    ['a malformed challenge', { code_challenge: 'abc' }, 'invalid_request'],
    ['an unknown scope', { scope: 'profile admin' }, 'invalid_scope'],
  ])('redirects an error for %s', (_label, overrides, error) => {
    expect(checkAuthorizationRequest(query(overrides))).toMatchObject({ kind: 'redirect_error', redirectUri: REDIRECT, state: 'xyz', error })
  })

  it('refuses a repeated parameter', () => {
    expect(checkAuthorizationRequest(query({}, '&scope=profile&scope=items%3Aread'))).toMatchObject({
      kind: 'redirect_error',
      error: 'invalid_request',
    })
  })
})

describe('buildRedirect', () => {
  it("adds the response to the redirect URI's own query, with iss", () => {
    const url = new URL(buildRedirect('http://127.0.0.1:5000/cb?keep=1', { code: 'c', state: 's', error: undefined }, 'http://127.0.0.1:8976'))
    expect(Object.fromEntries(url.searchParams)).toEqual({ keep: '1', code: 'c', state: 's', iss: 'http://127.0.0.1:8976' })
  })
})
