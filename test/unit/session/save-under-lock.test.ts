/**
 * A login's save when the shared store's lease could not be had (its holder
 * keeps renewing it): the save is a compare-and-set on the row version, so a
 * credential the holder stores between the login's read and its write is
 * never overwritten, and the login's tokens are rescued instead of dropped.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeBundle } from '../../../src/session/bundle'
import { saveUnderRefreshLock } from '../../../src/session/save-issued'
import {
  ABSENT,
  StoreError,
  toAccountKey,
  type CredentialKey,
  type Locker,
  type StoredCredential,
  type VersionedLookup,
  type VersionedStore,
} from '../../../src/store/credential-store'
import { makeTestDeps, MemoryStore } from '../../fakes'
import { stored } from './helpers'

const LEASE_HINT = 'that runner keeps renewing the lease: it is alive; try again once it is done'

/** A shared store in memory: row versions, an atomic compare-and-set, and a lease nobody gets (its holder outlives every wait). */
class SharedMemoryStore extends MemoryStore implements VersionedStore {
  readonly revisions = new Map<string, number>()
  /** Runs once, right after the next read: the holder's write landing between a read and the write that follows it. */
  onNextRead?: () => void
  readonly versioned: VersionedStore = this
  readonly locker: Locker = {
    withLock: async () => {
      throw new StoreError('lease_timeout', this.location, 'gave up after 70 s waiting for the refresh lease refresh-acme-default (held by pid 7 on runner-2)', {
        hint: LEASE_HINT,
      })
    },
  }
  constructor() {
    super('postgres', 'db.internal:5432/oauth')
  }
  private fire(): void {
    const hook = this.onNextRead
    this.onNextRead = undefined
    hook?.()
  }
  override async get(key: CredentialKey) {
    const found = await super.get(key)
    this.fire()
    return found
  }
  override async set(credential: StoredCredential): Promise<void> {
    this.setNow(credential)
  }
  /** A write as one step, as a database row's update is. */
  setNow(credential: StoredCredential): void {
    this.writes += 1
    this.items.set(toAccountKey(credential), structuredClone(credential))
    const account = toAccountKey(credential)
    this.revisions.set(account, (this.revisions.get(account) ?? 0) + 1)
  }
  async getVersioned(key: CredentialKey): Promise<VersionedLookup> {
    const found = await super.get(key)
    const read: VersionedLookup = found.status === 'found' ? { ...found, revision: String(this.revisions.get(toAccountKey(key))) } : found
    this.fire()
    return read
  }
  async compareAndSet(credential: StoredCredential, expected: string): Promise<string | undefined> {
    const now = this.revisions.get(toAccountKey(credential))
    if ((now === undefined ? ABSENT : String(now)) !== expected) return undefined
    await this.set(credential)
    return String(this.revisions.get(toAccountKey(credential)))
  }
  async mark(_key: CredentialKey, expected: string): Promise<string | undefined> {
    return expected
  }
}

const homes: string[] = []
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true })
})

function world() {
  const homedir = mkdtempSync(join(tmpdir(), 'oauth-cli-save-lock-'))
  homes.push(homedir)
  const store = new SharedMemoryStore()
  const deps = makeTestDeps({ store, homedir, env: { XDG_DATA_HOME: join(homedir, 'data') } })
  return { store, deps }
}

const login = stored({ access_token: 'at-login-5555', refresh_token: 'rt-login-6666', updated_at: '2026-01-01T00:00:10Z' })

describe('a login whose wait for the shared store lease gave up', () => {
  it('saves by compare-and-set, so the holder writing afterwards cannot overwrite it, and says what it replaced', async () => {
    const { store, deps } = world()
    const old = stored()
    await store.set(old)
    const holderRead = await store.getVersioned(old)
    if (holderRead.status !== 'found') throw new Error('nothing stored')

    expect(await saveUnderRefreshLock(store, login, deps)).toEqual(old)
    // The holder's own write, on the version it read under its lease, finds the login there.
    expect(await store.compareAndSet(stored({ access_token: 'at-holder' }), holderRead.revision)).toBeUndefined()
    const now = await store.get(old)
    expect(now.status === 'found' && now.credential.access_token).toBe('at-login-5555')
  })

  it('never overwrites what the holder stored between its read and its write: its own tokens go to the emergency file the error names', async () => {
    const { store, deps } = world()
    await store.set(stored())
    const holders = stored({ access_token: 'at-holder-7777', refresh_token: 'rt-holder-8888' })
    store.onNextRead = () => store.setNow(holders)

    const failure = await saveUnderRefreshLock(store, login, deps).then(() => undefined, (err: unknown) => err)
    expect(failure).toBeInstanceOf(StoreError)
    const err = failure as StoreError
    expect(err.kind).toBe('lease_timeout')
    expect(err.hint).toBe(LEASE_HINT)
    expect(err.message).not.toContain('rt-login-6666')
    const now = await store.get(login)
    expect(now.status === 'found' && now.credential.refresh_token).toBe('rt-holder-8888')
    const path = /written to (\S+) \(mode 0600/.exec(err.message)?.[1]
    expect(path, err.message).toBeDefined()
    const rescued = decodeBundle(readFileSync(path!, 'utf8'))
    expect(rescued.ok && rescued.credential.refresh_token).toBe('rt-login-6666')
  })
})
