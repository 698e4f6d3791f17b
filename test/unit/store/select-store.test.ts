import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  StoreError,
  type CredentialKey,
  type CredentialStore,
  type StoreLookup,
} from '../../../src/store/credential-store'
import { openStore, type SelectStoreContext } from '../../../src/store/select-store'
import { rejectionOf } from '../../fakes'

/** A keychain double that answers, or fails the way a headless Linux box does, and counts calls. */
function fakeKeychain(answers: boolean): CredentialStore & { calls: number } {
  const store = {
    kind: 'keychain' as const,
    location: 'OS keychain (service oauth-cli)',
    calls: 0,
    async get(_key: CredentialKey): Promise<StoreLookup> {
      store.calls++
      if (!answers) {
        throw new StoreError('unavailable', 'OS keychain', 'the OS keychain could not read', {
          cause: new Error('no D-Bus session bus'),
        })
      }
      return { status: 'missing' }
    },
    set: async () => undefined,
    delete: async () => false,
    list: async () => [],
  }
  return store
}

// The data dir is never touched: opening a file store does no I/O until the first write.
const dataDir = join('/nonexistent', 'oauth-cli-select-store-test')

function context(env: Record<string, string>, keychain: CredentialStore): SelectStoreContext & { notices: string[] } {
  const notices: string[] = []
  return { env, dataDir, platform: 'linux', keychain, notices, notice: (line) => notices.push(line) }
}

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, StoreError)

describe('openStore', () => {
  it('auto: uses the keychain when it answers, silently', async () => {
    const keychain = fakeKeychain(true)
    const ctx = context({}, keychain)
    const store = await openStore('auto', ctx)
    expect(store.kind).toBe('keychain')
    // Reads go to the keychain first.
    expect(await store.get({ provider: 'p', profile: 'x' })).toEqual({ status: 'missing' })
    expect(keychain.calls).toBeGreaterThan(1)
    expect(ctx.notices).toEqual([])
  })

  it('auto: falls back to the file store with one notice saying it is not encrypted', async () => {
    const ctx = context({}, fakeKeychain(false))
    const store = await openStore('auto', ctx)
    expect(store.kind).toBe('file')
    expect(store.location.startsWith(dataDir)).toBe(true)
    expect(ctx.notices).toHaveLength(1)
    expect(ctx.notices[0]).toBe(
      `oauth-cli: no OS keychain here; using the file store at ${store.location} (not encrypted: set OAUTH_CLI_PASSPHRASE to encrypt it). Said once; --verbose says why.`,
    )
    const verbose = context({}, fakeKeychain(false))
    await openStore('auto', { ...verbose, verbose: true })
    expect(verbose.notices[0]).toBe(
      `oauth-cli: no OS keychain available (no D-Bus session bus); using the file store at ${store.location} (not encrypted: set OAUTH_CLI_PASSPHRASE to encrypt it)`,
    )
  })

  it('auto: the fall-back notice says the file store is encrypted when a passphrase is set', async () => {
    const ctx = context({ OAUTH_CLI_PASSPHRASE: 'correct horse' }, fakeKeychain(false))
    await openStore('auto', ctx)
    expect(ctx.notices).toHaveLength(1)
    expect(ctx.notices[0]).toMatch(/\(encrypted with OAUTH_CLI_PASSPHRASE\)/)
    expect(ctx.notices[0]).not.toContain('correct horse')
  })

  it('auto with OAUTH_CLI_STORE=file skips the keychain entirely', async () => {
    const keychain = fakeKeychain(true)
    const ctx = context({ OAUTH_CLI_STORE: 'file' }, keychain)
    expect((await openStore('auto', ctx)).kind).toBe('file')
    expect(keychain.calls).toBe(0)
    expect(ctx.notices).toEqual([])
  })

  it('auto with OAUTH_CLI_STORE=keychain fails like an explicit keychain choice', async () => {
    const err = await rejection(openStore('auto', context({ OAUTH_CLI_STORE: 'keychain' }, fakeKeychain(false))))
    expect(err.kind).toBe('unavailable')
  })

  it('rejects an OAUTH_CLI_STORE value that is neither keychain, file nor a postgres URL', async () => {
    const err = await rejection(openStore('auto', context({ OAUTH_CLI_STORE: 'vault' }, fakeKeychain(true))))
    expect(err.kind).toBe('config')
    expect(err.location).toBe('OAUTH_CLI_STORE')
    expect(err.message).toBe('OAUTH_CLI_STORE must be keychain, file or a postgres:// URL, got "vault"')
  })

  it.each(['mysql://ci:hunter2@db/x', 'postgres//ci:hunter2@db', 'postgres:ci:hunter2@db/x'])(
    'never echoes an OAUTH_CLI_STORE value that may hold a password (%s): only up to its first non-word character',
    async (value) => {
      const err = await rejection(openStore('auto', context({ OAUTH_CLI_STORE: value }, fakeKeychain(true))))
      expect(err.kind).toBe('config')
      expect(`${err.message} ${err.hint}`).not.toContain('hunter2')
    },
  )

  it('OAUTH_CLI_STORE=postgres://… opens the shared store, which first asks for OAUTH_CLI_PASSPHRASE', async () => {
    for (const url of ['postgres://ci@127.0.0.1:1/db', 'postgresql://ci@127.0.0.1:1/db']) {
      const err = await rejection(openStore('auto', context({ OAUTH_CLI_STORE: url }, fakeKeychain(true))))
      expect([err.kind, err.location]).toEqual(['config', 'OAUTH_CLI_PASSPHRASE'])
    }
  })

  it('an explicit --store wins over OAUTH_CLI_STORE', async () => {
    const keychain = fakeKeychain(true)
    expect(await openStore('keychain', context({ OAUTH_CLI_STORE: 'file' }, keychain))).toBe(keychain)
    expect((await openStore('file', context({ OAUTH_CLI_STORE: 'keychain' }, keychain))).kind).toBe('file')
  })

  it('explicit keychain that does not answer throws unavailable with the reason, and never falls back', async () => {
    const ctx = context({}, fakeKeychain(false))
    const err = await rejection(openStore('keychain', ctx))
    expect(err.kind).toBe('unavailable')
    expect(err.message).toContain('no D-Bus session bus')
    expect(ctx.notices).toEqual([])
  })
})
