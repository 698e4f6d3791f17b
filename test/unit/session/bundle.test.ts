import { describe, expect, it } from 'vitest'
import { BUNDLE_PREFIX, decodeBundle, describeBundleLifetime, encodeBundle } from '../../../src/session/bundle'
import { FIXTURE_ACCESS_TOKEN, FIXTURE_CLIENT_SECRET, FIXTURE_REFRESH_TOKEN, makeCredential } from '../../fakes/credential'

const SECRETS = [FIXTURE_ACCESS_TOKEN, FIXTURE_REFRESH_TOKEN, FIXTURE_CLIENT_SECRET]

function payloadOf(value: unknown): string {
  return BUNDLE_PREFIX + Buffer.from(JSON.stringify(value)).toString('base64url')
}

describe('encodeBundle / decodeBundle', () => {
  it('round-trips every field of the credential, secrets included', () => {
    const credential = makeCredential({ grant: 'authorization_code', rotation_seen: true })
    const bundle = encodeBundle(credential)
    expect(bundle.startsWith(BUNDLE_PREFIX)).toBe(true)
    expect(bundle).toMatch(/^oauth-cli-bundle:v1:[A-Za-z0-9_-]+$/)
    expect(decodeBundle(bundle)).toEqual({ ok: true, credential })
  })

  it('carries the kind of store it was exported from, apart from the credential (import names it)', () => {
    const credential = makeCredential()
    expect(decodeBundle(encodeBundle(credential, 'file'))).toEqual({ ok: true, credential, from: 'file' })
    expect(decodeBundle(encodeBundle(credential, 'keychain'))).toEqual({ ok: true, credential, from: 'keychain' })
    // One whose "from" is no store kind: the credential all the same, without a "from".
    expect(decodeBundle(payloadOf({ ...credential, exported_from: 'elsewhere' }))).toEqual({ ok: true, credential })
  })

  it('is one line that does not show the secrets in clear', () => {
    const bundle = encodeBundle(makeCredential())
    expect(bundle).not.toContain('\n')
    for (const secret of SECRETS) expect(bundle).not.toContain(secret)
  })

  it('ignores surrounding white space and a trailing newline', () => {
    const credential = makeCredential()
    expect(decodeBundle(`  ${encodeBundle(credential)}\r\n`)).toEqual({ ok: true, credential })
  })

  it.each([
    ['empty input', '', /empty/],
    ['another prefix', 'oauth-cli-bundle:v2:abc', /does not start with/],
    ['a bare token', FIXTURE_ACCESS_TOKEN, /does not start with/],
    ['a payload with characters outside base64url', `${BUNDLE_PREFIX}abc+/=`, /not base64url/],
    ['a payload wrapped over lines', `${BUNDLE_PREFIX}abc\ndef`, /not base64url/],
    ['a payload cut short', encodeBundle(makeCredential()).slice(0, 60), /not JSON/],
    ['JSON that is no credential', payloadOf({ hello: 'world' }), /not valid: unsupported "version"/],
    ['a credential missing its access token', payloadOf({ ...makeCredential(), access_token: undefined }), /"access_token"/],
    ['a credential with a non-array scope', payloadOf({ ...makeCredential(), scope: 'a b' }), /"scope"/],
  ])('refuses %s with a reason', (_name, input, reason) => {
    const result = decodeBundle(input)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.reason).toMatch(reason)
  })

  it.each([
    ['a profile with terminal escapes', { profile: 'p\u001b]0;PWN\u0007\u001b[2J' }, 'profile'],
    ['a profile with a slash', { profile: 'a/b' }, 'profile'],
    ['a dot-dot profile', { profile: '..' }, 'profile'],
    ['a profile longer than --profile takes', { profile: 'p'.repeat(65) }, 'profile'],
    ['a provider that is a path', { provider: '../../tmp/evil' }, 'provider'],
    ['a provider with a terminal escape', { provider: 'acme\u001b[2J' }, 'provider'],
  ] as const)('refuses %s, naming that field, as a name the CLI would refuse', (_name, overrides, field) => {
    const result = decodeBundle(encodeBundle(makeCredential(overrides)))
    expect(result).toMatchObject({ ok: false, name: field })
    if (!result.ok) expect(result.reason).toContain(`"${field}"`)
  })

  it('checks the profile it is told to store under instead of the bundle\'s own', () => {
    const bundle = encodeBundle(makeCredential({ profile: 'a/b' }))
    expect(decodeBundle(bundle, { profile: 'ci' })).toEqual({ ok: true, credential: makeCredential({ profile: 'ci' }) })
    expect(decodeBundle(encodeBundle(makeCredential()), { profile: '../x' })).toMatchObject({ ok: false, name: 'profile' })
  })

  it('never puts any part of the input in the reason', () => {
    const tampered = payloadOf({ ...makeCredential(), version: 2 })
    const result = decodeBundle(tampered)
    expect(result.ok).toBe(false)
    if (!result.ok) {
      for (const secret of SECRETS) expect(result.reason).not.toContain(secret)
      expect(result.reason).not.toContain(tampered.slice(BUNDLE_PREFIX.length, BUNDLE_PREFIX.length + 12))
    }
  })
})

describe('describeBundleLifetime', () => {
  it.each([
    ['a static credential', makeCredential({ kind: 'static', refresh_token: undefined }), { kind: 'static' }],
    ['client credentials', makeCredential({ grant: 'client_credentials', refresh_token: undefined }), { kind: 'client_credentials' }],
    ['a refresh token seen rotating', makeCredential({ rotation_seen: true }), { kind: 'rotates' }],
    ['a refresh token not seen rotating', makeCredential(), { kind: 'refreshable' }],
    [
      'no refresh token',
      makeCredential({ refresh_token: undefined }),
      { kind: 'until_expiry', expires_at: '2030-01-01T00:00:00.000Z' },
    ],
  ])('tells how the bundle of %s ages', (_name, credential, expected) => {
    expect(describeBundleLifetime(credential)).toEqual(expected)
  })
})
