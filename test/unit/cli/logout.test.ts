import { describe, expect, it } from 'vitest'
import { executeLogout, runLogout, type LogoutOptions } from '../../../src/cli/commands/logout'
import { refreshLockName } from '../../../src/session/save-issued'
import { createEitherStore } from '../../../src/store/either-store'
import type { CredentialStore, Hold, Locker } from '../../../src/store/credential-store'
import { jsonResponse, makeTestDeps, MemoryStore, recordingHttp } from '../../fakes'
import { ACME, stored } from '../session/helpers'

const options: LogoutOptions = { provider: 'acme', profile: 'default', json: false, verbose: false, store: 'auto', local: false }
const key = { provider: 'acme', profile: 'default' }

function world(store: CredentialStore) {
  const http = recordingHttp(() => jsonResponse(200, {}))
  const deps = makeTestDeps({
    store,
    http,
    readTextFile: async (p) => (p.endsWith('config.json') ? JSON.stringify({ providers: { acme: ACME } }) : undefined),
  })
  const revoked = () => http.calls.map((c) => new URLSearchParams(c.body).get('token'))
  return { deps, http, revoked }
}

/** The deps' locker, telling the test when someone asks for `name`. */
function watchedLocker(inner: Locker, name: string): { locker: Locker; asked: Promise<void> } {
  let asked!: () => void
  const promise = new Promise<void>((resolve) => (asked = resolve))
  return {
    asked: promise,
    locker: {
      withLock: <T>(lock: string, fn: (hold: Hold) => Promise<T>, o?: Parameters<Locker['withLock']>[2]): Promise<T> => {
        if (lock === name) asked()
        return inner.withLock(lock, fn, o as never)
      },
    },
  }
}

describe('logout while a refresh of the same credential is in flight', () => {
  it('waits for the refresh, then revokes and deletes the pair it stored, so nothing comes back', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    const { deps, revoked } = world(store)
    const inner = await deps.locker()
    const { locker, asked } = watchedLocker(inner, refreshLockName(key))
    let logout!: Promise<unknown>
    // A refresh holds the lock; logout starts meanwhile; the refresh then stores the rotated pair it got.
    await inner.withLock(refreshLockName(key), async () => {
      logout = runLogout(options, { ...deps, locker: async () => locker })
      await Promise.race([logout, asked])
      await store.set(stored({ access_token: 'at-rotated-7777', refresh_token: 'rt-rotated-8888', updated_at: '2026-01-01T00:00:00Z' }))
    })
    expect(await logout).toMatchObject({ revoked: true })
    expect(await store.get(key)).toEqual({ status: 'missing' })
    // What was live at the end was revoked; the spent pair was not what logout revoked.
    expect(revoked()).toEqual(['rt-rotated-8888', 'at-rotated-7777'])
  })
})

describe('logout with the default store (keychain and file store both holding a copy)', () => {
  it('revokes each distinct copy before removing both', async () => {
    const keychain = new MemoryStore('keychain', 'OS keychain')
    const file = new MemoryStore('file', '/data')
    await keychain.set(stored({ access_token: 'at-keychain-1', refresh_token: 'rt-keychain-1', updated_at: '2025-12-01T00:00:00Z' }))
    await file.set(stored({ access_token: 'at-file-2', refresh_token: 'rt-file-2', updated_at: '2025-12-31T00:00:00Z' }))
    const { deps, revoked } = world(createEitherStore(keychain, file))
    expect(await runLogout(options, deps)).toMatchObject({ revoked: true })
    expect(revoked().sort()).toEqual(['at-file-2', 'at-keychain-1', 'rt-file-2', 'rt-keychain-1'])
    expect([keychain.items.size, file.items.size]).toEqual([0, 0])
  })

  it('revokes one copy once when both hold the same tokens', async () => {
    const keychain = new MemoryStore('keychain', 'OS keychain')
    const file = new MemoryStore('file', '/data')
    await keychain.set(stored())
    await file.set(stored())
    const { deps, revoked } = world(createEitherStore(keychain, file))
    expect(await runLogout(options, deps)).toMatchObject({ revoked: true })
    expect(revoked()).toEqual(['rt-old-2222', 'at-old-1111'])
    expect([keychain.items.size, file.items.size]).toEqual([0, 0])
  })

  it('keeps both copies when revoking one of them fails', async () => {
    const keychain = new MemoryStore('keychain', 'OS keychain')
    const file = new MemoryStore('file', '/data')
    await keychain.set(stored({ access_token: 'at-keychain-1', refresh_token: 'rt-keychain-1', updated_at: '2025-12-01T00:00:00Z' }))
    await file.set(stored({ access_token: 'at-file-2', refresh_token: 'rt-file-2', updated_at: '2025-12-31T00:00:00Z' }))
    const http = recordingHttp((_url, init) =>
      new URLSearchParams(init.body).get('token') === 'rt-keychain-1' ? jsonResponse(503, { error: 'temporarily_unavailable' }) : jsonResponse(200, {}),
    )
    const deps = makeTestDeps({
      store: createEitherStore(keychain, file),
      http,
      readTextFile: async (p) => (p.endsWith('config.json') ? JSON.stringify({ providers: { acme: ACME } }) : undefined),
    })
    await expect(runLogout(options, deps)).rejects.toThrow(/could not revoke .*the credentials were kept/)
    expect([keychain.items.size, file.items.size]).toEqual([1, 1])
  })
})

describe('logout when the provider says a token is already invalid', () => {
  function answering(store: MemoryStore, answer: (token: string | null) => Response) {
    const http = recordingHttp((_url, init) => answer(new URLSearchParams(init.body).get('token')))
    return makeTestDeps({
      store,
      http,
      readTextFile: async (p) => (p.endsWith('config.json') ? JSON.stringify({ providers: { acme: ACME } }) : undefined),
    })
  }

  // RFC 7009 §2.2: an invalid token is no error for revocation; a server that answers invalid_token anyway
  // (as Google's does for a token already revoked or expired) says there is nothing left to revoke.
  it.each([
    ['both tokens', () => jsonResponse(400, { error: 'invalid_token', error_description: 'Token expired or revoked' })],
    ['the access token, once the refresh token ended the grant', (token: string | null) =>
      token === 'rt-old-2222' ? jsonResponse(200, {}) : jsonResponse(400, { error: 'invalid_token' })],
  ])('revokes and removes the credentials when it answers 400 invalid_token for %s', async (_name, answer) => {
    const store = new MemoryStore()
    await store.set(stored())
    const deps = answering(store, answer)
    expect(await runLogout(options, deps)).toMatchObject({ revoked: true })
    expect(await store.get(key)).toEqual({ status: 'missing' })
  })

  it.each([
    ['invalid_client', 401],
    ['invalid_request', 400],
  ])('keeps the credentials when it answers %s (the client or the request is wrong, not the token)', async (error, status) => {
    const store = new MemoryStore()
    await store.set(stored())
    const deps = answering(store, () => jsonResponse(status, { error }))
    await expect(runLogout(options, deps)).rejects.toThrow(/could not revoke .*the credentials were kept/)
    expect((await store.get(key)).status).toBe('found')
  })
})

describe('logout --local says where the credentials were removed from', () => {
  it.each([
    ['file', 'locally only'],
    ['keychain', 'locally only'],
    ['postgres', 'from the shared store, for every machine that uses it'],
  ] as const)('%s store: %j', async (kind, said) => {
    const store = new MemoryStore(kind)
    await store.set(stored())
    const { deps } = world(store)
    expect(await executeLogout({ ...options, local: true }, deps)).toBe(0)
    expect(deps.io.stderrText).toBe(`✓ Removed the credentials for acme (profile default) ${said}; not revoked: --local\n`)
    expect(store.items.size).toBe(0)
  })
})
