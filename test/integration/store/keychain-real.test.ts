/**
 * The keychain store against the real Secret Service through @napi-rs/keyring.
 * Skipped where no keychain answers, unless OAUTH_CLI_REQUIRE_KEYCHAIN=1 (CI),
 * where a missing keychain fails instead. To run it locally on Linux:
 *   dbus-run-session -- bash -c 'echo -n pw | gnome-keyring-daemon --unlock --replace --daemonize --components=secrets >/dev/null; OAUTH_CLI_REQUIRE_KEYCHAIN=1 npx vitest run test/integration/store/keychain-real.test.ts'
 */
import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KEYCHAIN_ITEM_MAX_LENGTH } from '../../../src/store/codec'
import { createKeychainStore, probeKeychain } from '../../../src/store/keychain-store'
import { openStore } from '../../../src/store/select-store'
import { makeCredential } from '../../fakes/credential'

const service = `oauth-cli-test-${randomBytes(6).toString('hex')}`
const store = createKeychainStore({ service, timeoutMs: 10_000 })
const probe = await probeKeychain(store)
const required = process.env.OAUTH_CLI_REQUIRE_KEYCHAIN === '1'

/** Every item of the test service, as the keychain itself holds them. */
async function rawItems(): Promise<Array<{ account: string; password: string }>> {
  const { findCredentialsAsync } = await import('@napi-rs/keyring')
  return findCredentialsAsync(service)
}

describe.runIf(required && !probe.ok)('real OS keychain (required)', () => {
  it('is available', () => {
    expect(probe, 'OAUTH_CLI_REQUIRE_KEYCHAIN=1 but no OS keychain answered').toEqual({ ok: true })
  })
})

describe.skipIf(!probe.ok)('real OS keychain', () => {
  const keys = [
    { provider: 'livechat', profile: 'default' },
    { provider: 'tidio', profile: 'work' },
  ]

  afterAll(async () => {
    for (const key of keys) await store.delete(key).catch(() => undefined)
  })

  it('round-trips, lists and deletes credentials under a unique service', async () => {
    const first = makeCredential()
    const second = makeCredential({ provider: 'tidio', profile: 'work', kind: 'static' })
    await store.set(first)
    await store.set(second)
    expect(await store.get(keys[0]!)).toEqual({ status: 'found', credential: first })
    expect(await store.list()).toEqual([first, second])

    const rotated = makeCredential({ refresh_token: 'rt-rotated-fixture' })
    await store.set(rotated)
    expect(await store.get(keys[0]!)).toEqual({ status: 'found', credential: rotated })

    expect(await store.delete(keys[0]!)).toBe(true)
    expect(await store.delete(keys[0]!)).toBe(false)
    expect(await store.get(keys[0]!)).toEqual({ status: 'missing' })
    expect(await store.list()).toEqual([second])
  })

  it('round-trips a credential too large for one item, keeping every item small, and deletes all of it', async () => {
    const large = makeCredential({
      profile: 'large',
      access_token: `at-large-${randomBytes(4500).toString('base64url')}`,
      extra: { id_token: `it-large-${randomBytes(3000).toString('base64url')}` },
    })
    const largeKey = { provider: 'livechat', profile: 'large' }
    keys.push(largeKey)
    await store.set(large)
    expect(await store.get(largeKey)).toEqual({ status: 'found', credential: large })
    expect(await store.list()).toContainEqual(large)

    const items = await rawItems()
    const ofLarge = items.filter((i) => i.account.startsWith('livechat:large'))
    expect(ofLarge.length).toBeGreaterThan(2)
    for (const { password } of ofLarge) expect(password.length).toBeLessThanOrEqual(KEYCHAIN_ITEM_MAX_LENGTH)

    const smaller = makeCredential({ profile: 'large', refresh_token: 'rt-smaller-fixture' })
    await store.set(smaller)
    expect((await rawItems()).filter((i) => i.account.startsWith('livechat:large')).map((i) => i.account)).toEqual([
      'livechat:large',
    ])
    await store.set(large)
    expect(await store.delete(largeKey)).toBe(true)
    expect((await rawItems()).filter((i) => i.account.startsWith('livechat:large'))).toEqual([])
  })

  it('reports a keychain item that is not a credential as corrupt, naming provider and profile', async () => {
    const { AsyncEntry } = await import('@napi-rs/keyring')
    await new AsyncEntry(service, 'tidio:work', { linux: { store: 'secret-service' } }).setPassword('not json')
    await expect(store.get(keys[1]!)).rejects.toMatchObject({
      kind: 'corrupt',
      message: expect.stringContaining('tidio (profile work)'),
    })
  })
})

describe('store selection against the real OS keychain', () => {
  const dataDir = join(tmpdir(), 'oauth-cli-never-written')

  it.runIf(probe.ok)('auto picks the keychain when it answers, without a notice', async () => {
    const notices: string[] = []
    const store = await openStore('auto', { env: process.env, dataDir, platform: process.platform, notice: (l) => notices.push(l) })
    expect(store.kind).toBe('keychain')
    expect(notices).toEqual([])
  })

  it.runIf(!probe.ok && !required)('auto falls back to the file store, saying why in one line', async () => {
    const notices: string[] = []
    const store = await openStore('auto', { env: process.env, dataDir, platform: process.platform, verbose: true, notice: (l) => notices.push(l) })
    expect(store.kind).toBe('file')
    expect(notices).toHaveLength(1)
    expect(notices[0]).toMatch(/^oauth-cli: no OS keychain available \(.+\); using the file store at /)
    expect(notices[0]).not.toContain('\n')
  })
})
