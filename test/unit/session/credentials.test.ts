import { describe, expect, it } from 'vitest'
import { toStaticCredential } from '../../../src/session/credentials'

const NOW = Date.parse('2026-12-01T07:00:00.000Z')
const KEY = { provider: 'tidio', profile: 'work' }

describe('toStaticCredential', () => {
  it.each([
    ['a static credential (login --with-token, a key pair)', undefined, { kind: 'static', token_type: 'static' }],
    ['an explicit static credential', 'static' as const, { kind: 'static', token_type: 'static' }],
    ['a bearer token from the environment', 'bearer' as const, { kind: 'oauth', token_type: 'Bearer' }],
  ])('stores %s with nothing to renew', (_what, kind, expected) => {
    expect(toStaticCredential(KEY, 'acct:secret', NOW, kind)).toEqual({
      version: 1,
      provider: 'tidio',
      profile: 'work',
      ...expected,
      access_token: 'acct:secret',
      scope: [],
      updated_at: '2026-12-01T07:00:00.000Z',
    })
  })

  it('has no refresh token, expiry or client to refresh with', () => {
    const credential = toStaticCredential(KEY, 'v', NOW)
    expect(credential.refresh_token).toBeUndefined()
    expect(credential.expires_at).toBeUndefined()
    expect(credential.client_id).toBeUndefined()
  })
})
