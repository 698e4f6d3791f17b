import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  KEYCHAIN_ITEM_MAX_LENGTH,
  decodeFileNamePart,
  encodeFileNamePart,
  joinKeychainChunks,
  parseCredential,
  planKeychainItem,
  readKeychainItem,
  serializeCredential,
  type ChunkManifest,
} from '../../../src/store/codec'
import { FIXTURE_ACCESS_TOKEN, makeCredential } from '../../fakes/credential'

describe('credential codec', () => {
  it('round-trips a credential through its JSON text', () => {
    const credential = makeCredential()
    expect(parseCredential(serializeCredential(credential))).toEqual({ ok: true, credential })
  })

  it('round-trips the grant and whether rotation was seen', () => {
    const credential = makeCredential({ grant: 'client_credentials', rotation_seen: true })
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
    ['an unknown grant', { grant: 'password' }, '"grant" is not one of authorization_code, device_code, client_credentials'],
    ['rotation_seen as a string', { rotation_seen: 'yes' }, '"rotation_seen" is not a boolean'],
    ['an unparseable expiry', { expires_at: 'tomorrow' }, '"expires_at" is not an ISO 8601 time'],
    ['an access token with CR LF and no refresh token (stored by an older version)', { access_token: 'AT1\r\nX-Injected: 1', refresh_token: undefined }, '"access_token" is not a token: it holds line breaks or control characters'],
    ['such an access token beside a refresh token with NUL', { access_token: 'AT1\r\nX-Injected: 1', refresh_token: 'RT\u0000x' }, '"access_token" is not a token: it holds line breaks or control characters'],
    ['a refresh token with NUL', { refresh_token: 'RT\u0000x' }, '"refresh_token" is not a token: it holds line breaks or control characters'],
  ])('rejects %s, naming the field and never a value', (_, change, reason) => {
    const text = typeof change === 'string' ? change : JSON.stringify({ ...makeCredential(), ...change })
    const result = parseCredential(text)
    expect(result).toEqual({ ok: false, reason })
    expect(JSON.stringify(result)).not.toContain(FIXTURE_ACCESS_TOKEN)
  })

  it.each([
    ['a good refresh token', {}],
    ['the client credentials grant', { refresh_token: undefined, grant: 'client_credentials' }],
  ])('reads an access token with CR LF (stored by an older version) beside %s as no access token, long expired, keeping the rest', (_, change) => {
    const credential = { ...makeCredential(), ...change }
    const result = parseCredential(JSON.stringify({ ...credential, access_token: 'AT1\r\nX-Injected: 1' }))
    expect(result).toEqual({ ok: true, credential: { ...JSON.parse(JSON.stringify(credential)), access_token: '', expires_at: '1970-01-01T00:00:00.000Z' } })
    expect(JSON.stringify(result)).not.toMatch(/Injected|AT1/)
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

  it('leaves names of safe characters as they are and encodes any other as its UTF-8 bytes', () => {
    expect(encodeFileNamePart('my-idp.dev_2')).toBe('my-idp.dev_2')
    expect(encodeFileNamePart('café')).toBe('caf%C3%A9')
    expect(encodeFileNamePart('a b\u{1F600}')).toBe('a%20b%F0%9F%98%80')
  })
})

/** Deterministic but incompressible text, so the chunked layout is reached. */
function noise(length: number, seed = 1): string {
  let x = seed
  let out = ''
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31
    out += String.fromCharCode(33 + (x % 94))
  }
  return out
}

describe('keychain item layout', () => {
  it('keeps a credential that fits as its plain JSON, the layout earlier versions wrote', () => {
    const credential = makeCredential()
    expect(planKeychainItem(credential, 'abc')).toEqual({ layout: 'whole', password: serializeCredential(credential) })
    expect(readKeychainItem(serializeCredential(credential))).toEqual({ layout: 'whole', json: serializeCredential(credential) })
  })

  it('compresses a credential that fits only compressed', () => {
    const credential = makeCredential({ access_token: 'a'.repeat(5000) })
    const plan = planKeychainItem(credential, 'abc')
    expect(plan.layout).toBe('whole')
    expect(plan.password).toMatch(/^z1:[A-Za-z0-9+/=]+$/)
    expect(plan.password.length).toBeLessThanOrEqual(KEYCHAIN_ITEM_MAX_LENGTH)
    expect(readKeychainItem(plan.password)).toEqual({ layout: 'whole', json: serializeCredential(credential) })
  })

  it('splits an incompressible credential into chunks that fit, under a manifest that reassembles them', () => {
    const credential = makeCredential({ access_token: noise(10_000) })
    const plan = planKeychainItem(credential, '0a1b')
    if (plan.layout !== 'chunked') throw new Error('expected chunks')
    expect(plan.chunks.length).toBeGreaterThan(5)
    for (const text of [plan.password, ...plan.chunks]) expect(text.length).toBeLessThanOrEqual(KEYCHAIN_ITEM_MAX_LENGTH)
    expect(readKeychainItem(plan.password)).toEqual({ layout: 'chunked', manifest: plan.manifest })
    expect(plan.manifest).toMatchObject({ oauth_cli_chunks: plan.chunks.length, generation: '0a1b' })
    expect(joinKeychainChunks(plan.manifest, plan.chunks)).toEqual({ layout: 'whole', json: serializeCredential(credential) })
  })

  it.each([
    ['chunks out of order', (c: string[]) => [...c].reverse(), 'its chunks do not match the checksum in its manifest'],
    ['a chunk short', (c: string[]) => c.slice(1), 'its chunks do not match the checksum in its manifest'],
  ])('refuses %s', (_, change, reason) => {
    const plan = planKeychainItem(makeCredential({ access_token: noise(4000) }), 'ff')
    if (plan.layout !== 'chunked') throw new Error('expected chunks')
    expect(joinKeychainChunks(plan.manifest, change(plan.chunks))).toEqual({ layout: 'unreadable', reason })
  })

  const manifest: ChunkManifest = { oauth_cli_chunks: 2, generation: 'ab12', sha256: 'a'.repeat(64) }
  it.each([
    ['no chunks', { oauth_cli_chunks: 0 }],
    ['a fractional count', { oauth_cli_chunks: 1.5 }],
    ['an absurd count', { oauth_cli_chunks: 1e9 }],
    ['a generation that is not hex', { generation: '../x' }],
    ['a short hash', { sha256: 'abc' }],
  ])('reports a manifest with %s as damaged', (_, change) => {
    expect(readKeychainItem(JSON.stringify({ ...manifest, ...change }))).toEqual({
      layout: 'unreadable',
      reason: 'its chunk manifest is damaged',
    })
  })

  it.each([
    ['not base64', 'z1:***'],
    ['not deflate data', `z1:${Buffer.from('plain text, not deflated').toString('base64')}`],
  ])('reports compressed data that is %s as damaged', (_, password) => {
    expect(readKeychainItem(password)).toEqual({ layout: 'unreadable', reason: 'its compressed data is damaged' })
  })

  it('never throws on any text, and passes what is no manifest on as JSON for the credential check', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const content = readKeychainItem(text)
        expect(['whole', 'chunked', 'unreadable']).toContain(content.layout)
      }),
    )
    expect(readKeychainItem('not json')).toEqual({ layout: 'whole', json: 'not json' })
  })
})
