import { createHash, randomBytes } from 'node:crypto'
import { beforeEach, describe, expect, it } from 'vitest'
import { SandboxState, type AuthorizationRequest, type TokenOutcome, type TokenResponse } from '../../../src/sandbox/state'

const CLIENT = 'oauth-cli-sandbox'
const REDIRECT = 'http://127.0.0.1:5000/callback'

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

function tokensOf(outcome: TokenOutcome): TokenResponse {
  if (!outcome.ok) throw new Error(`expected tokens, got ${outcome.error}: ${outcome.description}`)
  return outcome.tokens
}

function errorOf(outcome: TokenOutcome): string {
  if (outcome.ok) throw new Error('expected an error, got tokens')
  return outcome.error
}

let clock: number
let state: SandboxState
const pkce = pkcePair()

function request(overrides: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  return { clientId: CLIENT, redirectUri: REDIRECT, state: 's1', scope: ['profile', 'items:read'], codeChallenge: pkce.challenge, ...overrides }
}

function exchange(code: string, overrides: Partial<{ clientId: string; redirectUri: string; codeVerifier: string }> = {}): TokenOutcome {
  return state.exchangeCode({ code, clientId: CLIENT, redirectUri: REDIRECT, codeVerifier: pkce.verifier, ...overrides })
}

function login(): TokenResponse {
  return tokensOf(exchange(state.issueCode(request())))
}

beforeEach(() => {
  clock = Date.parse('2026-01-01T00:00:00Z')
  state = new SandboxState({ now: () => clock, accessTokenTtl: 60, refreshTokenTtl: 3600, deviceInterval: 5 })
})

describe('consents', () => {
  it('answers a consent id once, then never again', () => {
    const id = state.openConsent({ kind: 'authorize', request: request() })
    expect(state.takeConsent(id)).toMatchObject({ kind: 'authorize' })
    expect(state.takeConsent(id)).toBeUndefined()
  })

  it('forgets a consent page left open too long', () => {
    const id = state.openConsent({ kind: 'authorize', request: request() })
    clock += 600_000
    expect(state.takeConsent(id)).toBeUndefined()
  })
})

describe('authorization codes', () => {
  it('exchanges a code for Bearer tokens carrying the granted scope', () => {
    const tokens = login()
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 60, scope: 'profile items:read' })
    expect(tokens.access_token).not.toBe(tokens.refresh_token)
    expect(state.checkBearer(tokens.access_token)).toEqual({ ok: true, scope: ['profile', 'items:read'], clientId: CLIENT })
  })

  it.each([
    ['a wrong code_verifier', { codeVerifier: pkcePair().verifier }],
    ['another redirect_uri', { redirectUri: 'http://127.0.0.1:5001/callback' }],
    ['another client', { clientId: 'oauth-cli-sandbox-confidential' }],
  ])('refuses %s with invalid_grant, and the code is spent', (_label, overrides) => {
    const code = state.issueCode(request())
    expect(errorOf(exchange(code, overrides))).toBe('invalid_grant')
    expect(errorOf(exchange(code))).toBe('invalid_grant')
  })

  it('refuses a code after its 60 s lifetime', () => {
    const code = state.issueCode(request())
    clock += 60_000
    expect(errorOf(exchange(code))).toBe('invalid_grant')
  })

  it('revokes the tokens a code bought when the code is presented again', () => {
    const code = state.issueCode(request())
    const tokens = tokensOf(exchange(code))
    expect(errorOf(exchange(code))).toBe('invalid_grant')
    expect(state.checkBearer(tokens.access_token).ok).toBe(false)
    expect(errorOf(state.refresh({ refreshToken: tokens.refresh_token, clientId: CLIENT, scope: undefined }))).toBe('invalid_grant')
  })
})

describe('refresh with rotation', () => {
  it('issues a new refresh token each time and spends the old one', () => {
    const first = login()
    const second = tokensOf(state.refresh({ refreshToken: first.refresh_token, clientId: CLIENT, scope: undefined }))
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect(second.access_token).not.toBe(first.access_token)
    const third = tokensOf(state.refresh({ refreshToken: second.refresh_token, clientId: CLIENT, scope: undefined }))
    expect(state.checkBearer(third.access_token).ok).toBe(true)
    expect(state.stats()).toEqual({ tokensIssued: 3, refreshes: 2, reuseDetected: 0 })
  })

  it('revokes the whole grant when a spent refresh token comes back', () => {
    const first = login()
    const second = tokensOf(state.refresh({ refreshToken: first.refresh_token, clientId: CLIENT, scope: undefined }))
    expect(errorOf(state.refresh({ refreshToken: first.refresh_token, clientId: CLIENT, scope: undefined }))).toBe('invalid_grant')
    expect(state.checkBearer(second.access_token).ok).toBe(false)
    expect(errorOf(state.refresh({ refreshToken: second.refresh_token, clientId: CLIENT, scope: undefined }))).toBe('invalid_grant')
    expect(state.stats().reuseDetected).toBe(1)
  })

  it('narrows the access token scope on request but never widens it', () => {
    const first = login()
    const narrow = tokensOf(state.refresh({ refreshToken: first.refresh_token, clientId: CLIENT, scope: ['profile'] }))
    expect(narrow.scope).toBe('profile')
    const wide = state.refresh({ refreshToken: narrow.refresh_token, clientId: CLIENT, scope: ['offline_access'] })
    expect(errorOf(wide)).toBe('invalid_scope')
    // The refresh token keeps the original grant's scope (RFC 6749 §6).
    expect(tokensOf(state.refresh({ refreshToken: narrow.refresh_token, clientId: CLIENT, scope: undefined })).scope).toBe('profile items:read')
  })

  it('refuses an expired refresh token and another client', () => {
    const tokens = login()
    expect(errorOf(state.refresh({ refreshToken: tokens.refresh_token, clientId: 'other', scope: undefined }))).toBe('invalid_grant')
    clock += 3_600_000
    expect(errorOf(state.refresh({ refreshToken: tokens.refresh_token, clientId: CLIENT, scope: undefined }))).toBe('invalid_grant')
  })
})

describe('bearer checks and revocation', () => {
  it('stops accepting an access token when it expires', () => {
    const tokens = login()
    clock += 59_999
    expect(state.checkBearer(tokens.access_token).ok).toBe(true)
    clock += 1
    expect(state.checkBearer(tokens.access_token)).toEqual({ ok: false, description: 'the access token has expired' })
  })

  it('revokes an access token alone', () => {
    const tokens = login()
    state.revoke(tokens.access_token, CLIENT)
    expect(state.checkBearer(tokens.access_token).ok).toBe(false)
    expect(state.refresh({ refreshToken: tokens.refresh_token, clientId: CLIENT, scope: undefined }).ok).toBe(true)
  })

  it('revokes the whole grant with its refresh token', () => {
    const tokens = login()
    state.revoke(tokens.refresh_token, CLIENT)
    expect(state.checkBearer(tokens.access_token).ok).toBe(false)
    expect(errorOf(state.refresh({ refreshToken: tokens.refresh_token, clientId: CLIENT, scope: undefined }))).toBe('invalid_grant')
  })

  it("leaves another client's token alone", () => {
    const tokens = login()
    state.revoke(tokens.refresh_token, 'oauth-cli-sandbox-confidential')
    expect(state.checkBearer(tokens.access_token).ok).toBe(true)
  })
})

describe('device authorization', () => {
  it('walks pending, slow_down, approval and success, then refuses the spent code', () => {
    const start = state.startDevice(CLIENT, ['profile'])
    expect(start.userCode).toMatch(/^[B-Z]{4}-[B-Z]{4}$/)
    expect(errorOf(state.pollDevice(start.deviceCode, CLIENT))).toBe('authorization_pending')
    clock += 4_000
    expect(errorOf(state.pollDevice(start.deviceCode, CLIENT))).toBe('slow_down')
    // The interval is now 10 s: 5 s later is still too fast.
    clock += 5_000
    expect(errorOf(state.pollDevice(start.deviceCode, CLIENT))).toBe('slow_down')
    expect(state.decideDevice(start.userCode.toLowerCase(), true)).toBe(true)
    clock += 15_000
    expect(tokensOf(state.pollDevice(start.deviceCode, CLIENT)).scope).toBe('profile')
    clock += 20_000
    expect(errorOf(state.pollDevice(start.deviceCode, CLIENT))).toBe('invalid_grant')
  })

  it('answers access_denied after the user denies, and the code cannot be decided twice', () => {
    const start = state.startDevice(CLIENT, ['profile'])
    expect(state.decideDevice(start.userCode, false)).toBe(true)
    expect(state.decideDevice(start.userCode, true)).toBe(false)
    expect(errorOf(state.pollDevice(start.deviceCode, CLIENT))).toBe('access_denied')
  })

  it('answers expired_token after expires_in, and the code can no longer be found', () => {
    const start = state.startDevice(CLIENT, ['profile'])
    clock += start.expiresIn * 1000
    expect(state.findPendingDevice(start.userCode)).toBeUndefined()
    expect(errorOf(state.pollDevice(start.deviceCode, CLIENT))).toBe('expired_token')
  })

  it('does not let another client poll with the device code', () => {
    const start = state.startDevice(CLIENT, ['profile'])
    expect(errorOf(state.pollDevice(start.deviceCode, 'oauth-cli-sandbox-confidential'))).toBe('invalid_grant')
  })
})
