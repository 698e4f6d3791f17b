/**
 * A refresh whose lease ends while its request is out (the runner was stopped
 * past its lease, then resumed: its overdue lease timer fires before it reads
 * the answer already in its socket). The answer is never dropped: stored when
 * nobody wrote the row meanwhile, else rescued to the emergency file with a
 * failure naming it, never "refreshed" over a row this runner did not write.
 * Deterministic: the test ends the lease and delivers the answer itself.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { toCliError } from '../../../src/cli/report'
import type { HttpClient } from '../../../src/http/types'
import { decodeBundle } from '../../../src/session/bundle'
import { InterruptedRefreshError } from '../../../src/session/errors'
import { getFreshCredential } from '../../../src/session/fresh-token'
import { StoreError, type Hold } from '../../../src/store/credential-store'
import { jsonResponse, makeTestDeps, recordingHttp, rejectionOf } from '../../fakes'
import { ACME, provider, SharedMemoryStore, stored } from './helpers'

const key = { provider: 'acme', profile: 'default' }
const acme = provider('acme', ACME)
const ISSUED = { access_token: 'at-held-7777', refresh_token: 'rt-held-8888', token_type: 'Bearer', expires_in: 3600 }

/** A runner whose lease the test ends (`lose`), and whose token request is answered when the test says (`answer`). */
function frozenRunner(store: SharedMemoryStore) {
  const lease = new AbortController()
  const hold: Hold = { signal: lease.signal, fence: 'runner-a', holder: 'pid 1 on a' }
  let sent!: () => void
  const requestSent = new Promise<void>((resolve) => (sent = resolve))
  let deliver: ((response: Response) => void) | undefined
  // As a real transport: the request's signal aborts it.
  const http: HttpClient = (_url, init) =>
    new Promise<Response>((resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal!.reason), { once: true })
      deliver = resolve
      sent()
    })
  const deps = { ...makeTestDeps({ store, http }), locker: async () => ({ withLock: <T>(_name: string, fn: (h: Hold) => Promise<T>) => fn(hold) }) }
  return {
    deps,
    requestSent,
    lose: () => lease.abort(new StoreError('lease_timeout', 'db:5432/oauth', 'the refresh lease refresh-acme-default in the shared store at db:5432/oauth ran out before the refresh finished')),
    answer: () => deliver!(jsonResponse(200, ISSUED)),
  }
}

/** The runner that comes once the lease ran out: its own hold, and `http`. */
function successor(store: SharedMemoryStore, http: HttpClient) {
  const hold: Hold = { signal: new AbortController().signal, fence: 'runner-b', holder: 'pid 2 on b' }
  return { ...makeTestDeps({ store, http }), locker: async () => ({ withLock: <T>(_name: string, fn: (h: Hold) => Promise<T>) => fn(hold) }) }
}

/** The emergency file a failure names, decoded. */
function rescuedFrom(message: string) {
  const path = /written to (\S+) \(mode 0600/.exec(message)?.[1]
  if (!path) throw new Error(`no emergency file named in: ${message}`)
  const bundle = decodeBundle(readFileSync(path, 'utf8'))
  if (!bundle.ok) throw new Error(bundle.reason)
  return bundle.credential
}

describe('a refresh whose lease ends while its request is out', () => {
  it('reads the answer that comes after the lease ended and stores it when nobody wrote meanwhile', async () => {
    const store = new SharedMemoryStore()
    await store.set(stored({ rotation_seen: true }))
    const a = frozenRunner(store)
    const refreshing = getFreshCredential(acme, key, store, a.deps)
    await a.requestSent
    a.lose()
    a.answer()
    const credential = await refreshing
    expect(credential.refresh_token).toBe('rt-held-8888')
    const found = await store.versioned.getVersioned(key)
    expect(found.status === 'found' && found.credential.refresh_token).toBe('rt-held-8888')
    expect(found.status === 'found' && found.mark).toBeFalsy()
  })

  it('when the next runner marked the row dead meanwhile, rescues the answer and fails naming the file and the import (never "refreshed")', async () => {
    const store = new SharedMemoryStore()
    await store.set(stored({ rotation_seen: true }))
    const a = frozenRunner(store)
    const refreshing = getFreshCredential(acme, key, store, a.deps)
    await a.requestSent
    a.lose()
    const never = recordingHttp(() => jsonResponse(200, { access_token: 'at-b', refresh_token: 'rt-b' }))
    await rejectionOf(getFreshCredential(acme, key, store, successor(store, never)), InterruptedRefreshError)
    expect(never.calls).toHaveLength(0)
    a.answer()
    const failure = await rejectionOf(refreshing)
    const cli = toCliError(failure)
    expect(cli.exitCode).toBe(5)
    expect(cli.message).toMatch(/ran out before the refresh finished, and another runner has since marked the stored credentials dead/)
    expect(cli.message).toMatch(/restore them with oauth-cli import [^<]*< \S+/)
    expect(cli.message).not.toContain('rt-held-8888')
    expect(rescuedFrom(cli.message).refresh_token).toBe('rt-held-8888')
    // The row is left as the successor marked it: this runner did not write it.
    const found = await store.versioned.getVersioned(key)
    expect(found.status === 'found' && found.credential.refresh_token).toBe('rt-old-2222')
    expect(found.status === 'found' && found.mark?.kind).toBe('dead')
  })

  it('when the next runner stored its own refresh meanwhile, keeps that one, rescues this answer and fails naming the file', async () => {
    const store = new SharedMemoryStore()
    await store.set(stored())
    const a = frozenRunner(store)
    const refreshing = getFreshCredential(acme, key, store, a.deps)
    await a.requestSent
    a.lose()
    const other = recordingHttp(() => jsonResponse(200, { access_token: 'at-b-5555', refresh_token: 'rt-b-6666', token_type: 'Bearer', expires_in: 3600 }))
    expect((await getFreshCredential(acme, key, store, successor(store, other))).refresh_token).toBe('rt-b-6666')
    a.answer()
    const cli = toCliError(await rejectionOf(refreshing))
    expect(cli.exitCode).toBe(5)
    expect(cli.message).toMatch(/another runner has since stored other credentials/)
    expect(rescuedFrom(cli.message).refresh_token).toBe('rt-held-8888')
    const found = await store.get(key)
    expect(found.status === 'found' && found.credential.refresh_token).toBe('rt-b-6666')
  })
})
