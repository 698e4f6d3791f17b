import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeFileNamePart,
  encodeFileNamePart,
  parseCredential,
  serializeCredential,
} from '../../../src/store/codec'
import { FIXTURE_ACCESS_TOKEN, makeCredential } from './credential-fixture'

describe('credential codec', () => {
  it('round-trips a credential through its JSON text', () => {
    const credential = makeCredential()
    expect(parseCredential(serializeCredential(credential))).toEqual({ ok: true, credential })
  })

  it('accepts a static credential with only the required fields', () => {
    const { refresh_token, expires_at, client_id, client_secret, token_endpoint, extra, ...bare } = makeCredential({
      kind: 'static',
    })
    expect(parseCredential(JSON.stringify(bare)).ok).toBe(true)
  })

  it.each([
    ['not JSON', '{', 'not valid JSON'],
    ['an array', '[]', 'not a JSON object'],
    ['another version', { version: 2 }, 'unsupported "version" (expected 1)'],
    ['an unknown kind', { kind: 'magic' }, '"kind" must be "oauth" or "static"'],
    ['no access token', { access_token: undefined }, '"access_token" is missing or not a string'],
    ['an empty profile', { profile: '' }, '"provider" and "profile" must not be empty'],
    ['a numeric refresh token', { refresh_token: 42 }, '"refresh_token" is not a string'],
    ['scope as a string', { scope: 'a b' }, '"scope" is not an array of strings'],
    ['extra as an array', { extra: [] }, '"extra" is not an object'],
    ['an unparseable expiry', { expires_at: 'tomorrow' }, '"expires_at" is not an ISO 8601 time'],
  ])('rejects %s, naming the field and never a value', (_, change, reason) => {
    const text = typeof change === 'string' ? change : JSON.stringify({ ...makeCredential(), ...change })
    const result = parseCredential(text)
    expect(result).toEqual({ ok: false, reason })
    expect(JSON.stringify(result)).not.toContain(FIXTURE_ACCESS_TOKEN)
  })

  it('encodes names into file-safe parts that decode back', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), (name) => {
        const encoded = encodeFileNamePart(name)
        expect(encoded).toMatch(/^[A-Za-z0-9_%-][A-Za-z0-9._%-]*$/)
        expect(decodeFileNamePart(encoded)).toBe(name)
      }),
    )
  })

  it('keeps the separators used in file names out of encoded parts', () => {
    expect(encodeFileNamePart('a@b/c:d')).toBe('a%40b%2Fc%3Ad')
    expect(encodeFileNamePart('..')).toBe('%2E.')
  })
})
