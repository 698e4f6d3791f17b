import { describe, expect, it } from 'vitest'
import { buildAuthorizationUrl, type AuthorizationRequest } from '../../../src/oauth/authorize-url'
import type { State } from '../../../src/oauth/types'

const base: AuthorizationRequest = {
  client_id: 'lc-client',
  redirect_uri: 'http://localhost:3000/callback',
  state: 'st-123' as State,
}

describe('buildAuthorizationUrl', () => {
  it('builds LiveChat’s host-root URL with PKCE and prompt=consent from extra', () => {
    const url = buildAuthorizationUrl('https://accounts.livechat.com/', {
      ...base,
      code_challenge: 'ch-abc',
      code_challenge_method: 'S256',
      extra: { prompt: 'consent' },
    })
    expect(url.origin + url.pathname).toBe('https://accounts.livechat.com/')
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'lc-client',
      redirect_uri: 'http://localhost:3000/callback',
      state: 'st-123',
      code_challenge: 'ch-abc',
      code_challenge_method: 'S256',
      prompt: 'consent',
    })
    expect(url.href).toContain('redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback')
  })

  it('keeps a query the endpoint already has', () => {
    const url = buildAuthorizationUrl('https://id.acme.example/authorize?audience=api&tenant=t1', base)
    expect(url.searchParams.get('audience')).toBe('api')
    expect(url.searchParams.get('tenant')).toBe('t1')
    expect(url.searchParams.get('response_type')).toBe('code')
    expect(url.pathname).toBe('/authorize')
  })

  it.each([undefined, '', '   '])('omits scope when it is %j', (scope) => {
    const url = buildAuthorizationUrl('https://id.acme.example/authorize', { ...base, ...(scope === undefined ? {} : { scope }) })
    expect(url.searchParams.has('scope')).toBe(false)
  })

  it('sends a space-separated scope as one parameter', () => {
    const url = buildAuthorizationUrl('https://id.acme.example/authorize', { ...base, scope: 'openid offline_access' })
    expect(url.searchParams.get('scope')).toBe('openid offline_access')
  })

  it('omits PKCE parameters when there is no challenge', () => {
    const url = buildAuthorizationUrl('https://id.acme.example/authorize', base)
    expect(url.searchParams.has('code_challenge')).toBe(false)
    expect(url.searchParams.has('code_challenge_method')).toBe(false)
  })

  it('does not let extra parameters replace state, redirect_uri or response_type', () => {
    const url = buildAuthorizationUrl('https://id.acme.example/authorize', {
      ...base,
      extra: { state: 'forged', redirect_uri: 'https://evil.example/cb', response_type: 'token', scope: 'from-extra' },
    })
    expect(url.searchParams.getAll('state')).toEqual(['st-123'])
    expect(url.searchParams.getAll('redirect_uri')).toEqual(['http://localhost:3000/callback'])
    expect(url.searchParams.getAll('response_type')).toEqual(['code'])
    expect(url.searchParams.get('scope')).toBe('from-extra')
  })
})
