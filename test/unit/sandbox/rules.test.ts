import { describe, expect, it } from 'vitest'
import {
  isAllowedRedirectUri,
  isScopeSubset,
  normalizeUserCode,
  parseScope,
  USER_CODE_ALPHABET,
  verifyPkce,
} from '../../../src/sandbox/rules'

// RFC 7636 Appendix B.
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'

describe('verifyPkce', () => {
  it('accepts the RFC 7636 appendix B verifier for its S256 challenge', () => {
    expect(verifyPkce(RFC_VERIFIER, RFC_CHALLENGE)).toBe(true)
  })

  it.each([
    ['another verifier', `${RFC_VERIFIER.slice(0, -1)}Y`, RFC_CHALLENGE],
    ['the challenge itself as verifier (plain method)', RFC_CHALLENGE, RFC_CHALLENGE],
    ['a verifier shorter than 43 characters', 'short', RFC_CHALLENGE],
    ['a verifier with a character outside the unreserved set', `${RFC_VERIFIER.slice(0, -1)}!`, RFC_CHALLENGE],
    ['a malformed challenge', RFC_VERIFIER, 'not-a-challenge'],
  ])('refuses %s', (_label, verifier, challenge) => {
    expect(verifyPkce(verifier, challenge)).toBe(false)
  })
})

describe('isAllowedRedirectUri', () => {
  it.each([
    'http://127.0.0.1:53682/callback',
    'http://127.0.0.1/cb',
    'http://localhost:3000/callback',
    'http://[::1]:8080/oauth/callback?keep=1',
  ])('accepts the loopback URI %s', (uri) => {
    expect(isAllowedRedirectUri(uri)).toBe(true)
  })

  it.each([
    'https://127.0.0.1:8080/callback',
    'http://example.com/callback',
    'http://127.0.0.1.example.com/callback',
    'http://user:pass@127.0.0.1:8080/callback',
    'http://127.0.0.1:8080/callback#frag',
    'com.example.app:/callback',
    'not a url',
  ])('refuses %s', (uri) => {
    expect(isAllowedRedirectUri(uri)).toBe(false)
  })
})

describe('parseScope', () => {
  it('splits known scopes and drops repeats', () => {
    expect(parseScope('profile items:read profile')).toEqual(['profile', 'items:read'])
  })

  it.each(['profile admin', 'profile  items:read', ''])('refuses %j', (raw) => {
    expect(parseScope(raw)).toBeUndefined()
  })

  it('tells a narrower scope from a wider one', () => {
    expect(isScopeSubset(['profile'], ['profile', 'items:read'])).toBe(true)
    expect(isScopeSubset(['profile', 'offline_access'], ['profile'])).toBe(false)
  })
})

describe('normalizeUserCode', () => {
  it.each([
    ['bcdf-ghjk', 'BCDF-GHJK'],
    ['BCDFGHJK', 'BCDF-GHJK'],
    [' bcdf ghjk ', 'BCDF-GHJK'],
  ])('reads %j as %s', (typed, expected) => {
    expect(normalizeUserCode(typed)).toBe(expected)
  })

  it('gives nothing comparable for a code of the wrong length', () => {
    expect(normalizeUserCode('BCD-FGH')).toBe('')
  })

  it('uses an alphabet without vowels or look-alike digits', () => {
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY0-9]/)
  })
})
