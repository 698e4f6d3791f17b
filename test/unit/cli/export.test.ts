import { describe, expect, it } from 'vitest'
import { describeExport, executeExport, runExport } from '../../../src/cli/commands/export'
import { decodeBundle } from '../../../src/session/bundle'
import { ConfigError } from '../../../src/providers/errors'
import { NotLoggedInError } from '../../../src/session/errors'
import { makeTestDeps, MemoryStore } from '../../fakes'
import { FIXTURE_ACCESS_TOKEN, FIXTURE_CLIENT_SECRET, FIXTURE_REFRESH_TOKEN, makeCredential } from '../../fakes/credential'

const opts = { provider: 'livechat', profile: 'default', json: false, verbose: false, store: 'auto' as const }

describe('runExport', () => {
  it('exports the stored credential as it is, without a refresh or any request', async () => {
    const store = new MemoryStore()
    const credential = makeCredential({ expires_at: '2025-01-01T00:00:00.000Z' })
    await store.set(credential)
    const result = await runExport(opts, makeTestDeps({ store }))
    expect(decodeBundle(result.bundle)).toEqual({ ok: true, credential, from: 'file' })
    expect(store.writes).toBe(1)
  })

  it('fails as not logged in when nothing is stored for the profile', async () => {
    const store = new MemoryStore()
    await store.set(makeCredential())
    await expect(runExport({ ...opts, profile: 'work' }, makeTestDeps({ store }))).rejects.toThrow(NotLoggedInError)
  })

  it('names an unknown provider with nothing stored as unknown (a usage error), not as a login to run', async () => {
    const error = await runExport({ ...opts, provider: 'livechta' }, makeTestDeps()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).code).toBe('unknown_provider')
  })

  it('still exports what is stored under a provider no longer configured', async () => {
    const store = new MemoryStore()
    const credential = makeCredential({ provider: 'gone' })
    await store.set(credential)
    const result = await runExport({ ...opts, provider: 'gone' }, makeTestDeps({ store }))
    expect(decodeBundle(result.bundle)).toEqual({ ok: true, credential, from: 'file' })
  })
})

describe('executeExport', () => {
  it('writes one line to stdout and the notes, with no secret, to stderr', async () => {
    const store = new MemoryStore()
    await store.set(makeCredential())
    const deps = makeTestDeps({ store })
    expect(await executeExport(opts, deps)).toBe(0)
    expect(deps.io.stdoutText).toMatch(/^oauth-cli-bundle:v1:[A-Za-z0-9_-]+\n$/)
    expect(deps.io.stderrText).toMatch(/livechat \(profile default\)/)
    expect(deps.io.stderrText).toMatch(/CI secret store/)
    for (const secret of [FIXTURE_ACCESS_TOKEN, FIXTURE_REFRESH_TOKEN, FIXTURE_CLIENT_SECRET]) {
      expect(deps.io.stderrText).not.toContain(secret)
    }
    expect(deps.io.stderrText).not.toContain(deps.io.stdoutText.trim().slice(20, 40))
  })
})

describe('describeExport', () => {
  it.each([
    ['a rotation seen', { rotation_seen: true }, /rotates refresh tokens: the bundle stops working after its first refresh.*login --with-token.*client credentials.*export again after every run/],
    ['no rotation seen', {}, /no rotation seen yet; if livechat rotates refresh tokens, the bundle goes stale after its first refresh/i],
    ['no refresh token', { refresh_token: undefined }, /no refresh token: the bundle stops working when the access token expires \(2030/i],
    ['client credentials', { grant: 'client_credentials' as const, refresh_token: undefined }, /does not go stale/],
    ['a static credential', { kind: 'static' as const, refresh_token: undefined }, /until the credential is revoked/],
  ])('says how long the bundle works with %s', (_name, overrides, expected) => {
    expect(describeExport(makeCredential(overrides), false)).toMatch(expected)
  })

  it('shows a stored name\'s control characters escaped, never raw (one imported before names were checked)', () => {
    const text = describeExport(makeCredential({ profile: 'p\u001b]0;PWN\u0007\u001b[2J' }), true)
    expect(text).not.toMatch(/[\u0007\u001b]/)
    expect(text).toContain('profile p\\x1b]0;PWN\\x07\\x1b[2J')
  })

  it('warns when stdout is a terminal, and only then', () => {
    expect(describeExport(makeCredential(), true)).toMatch(/^warning: stdout is a terminal/)
    expect(describeExport(makeCredential(), false)).not.toMatch(/warning/)
  })
})
