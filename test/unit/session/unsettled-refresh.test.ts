/**
 * A refresh kept in a shared store (marks kept) whose outcome is unknown: at a
 * rotating provider the next holder refuses to send the token again, so the
 * failing refresh must say that, not "try again" (SPEC "Shared store").
 */
import { describe, expect, it } from 'vitest'
import { toCliError } from '../../../src/cli/report'
import type { HttpClient } from '../../../src/http/types'
import { InterruptedRefreshError, UnsettledRefreshError } from '../../../src/session/errors'
import { getFreshCredential } from '../../../src/session/fresh-token'
import { jsonResponse, makeTestDeps, recordingHttp, rejectionOf } from '../../fakes'
import { ACME, provider, SharedMemoryStore, stored } from './helpers'

const key = { provider: 'acme', profile: 'default' }
const acme = provider('acme', ACME)

/** Another process's deps: its own hold (fence), and `http`. */
function nextProcess(store: SharedMemoryStore, http: HttpClient) {
  const deps = makeTestDeps({ store, http })
  const hold = { signal: new AbortController().signal, fence: 'next-process', holder: 'pid 2 on here' }
  return { ...deps, locker: async () => ({ withLock: <T>(_name: string, fn: (h: typeof hold) => Promise<T>) => fn(hold) }) }
}

/** The request reached the provider; its answer never came back. */
const neverAnswers: HttpClient = (_url, init) =>
  new Promise<Response>((_resolve, reject) => {
    const signal = init?.signal
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
  })

describe('a shared-store refresh whose outcome is unknown', () => {
  it('at a rotating provider, the deadline says the token will not be sent again and to log in; the next refresh refuses, sending nothing', async () => {
    const store = new SharedMemoryStore()
    await store.set(stored({ rotation_seen: true }))
    const deps = makeTestDeps({ store, http: neverAnswers, env: { OAUTH_CLI_REFRESH_DEADLINE_MS: '50' } })
    const failure = await rejectionOf(getFreshCredential(acme, key, store, deps))
    expect(failure).toBeInstanceOf(UnsettledRefreshError)
    const cli = toCliError(failure)
    expect(cli.exitCode).toBe(5)
    expect(cli.message).toMatch(/did not finish within 50 ms/)
    expect(cli.message).not.toMatch(/try again/)
    expect(cli.message).toMatch(/will not be sent again.*the next command exits 3/)
    expect(cli.hint).toBe('run: oauth-cli login acme')
    const http = recordingHttp(() => jsonResponse(200, { access_token: 'at-new-4444', refresh_token: 'rt-new-5555' }))
    const next = await rejectionOf(getFreshCredential(acme, key, store, nextProcess(store, http)))
    expect(next).toBeInstanceOf(InterruptedRefreshError)
    expect(toCliError(next).exitCode).toBe(3)
    expect(http.calls).toHaveLength(0)
  })

  it('where rotation was never seen, the deadline says to try again, and the next refresh sends the token again', async () => {
    const store = new SharedMemoryStore()
    await store.set(stored())
    const deps = makeTestDeps({ store, http: neverAnswers, env: { OAUTH_CLI_REFRESH_DEADLINE_MS: '50' } })
    const failure = await rejectionOf(getFreshCredential(acme, key, store, deps))
    expect(failure).not.toBeInstanceOf(UnsettledRefreshError)
    expect(toCliError(failure).message).toMatch(/try again, and log in if that says invalid_grant/)
    const http = recordingHttp(() => jsonResponse(200, { access_token: 'at-new-4444', refresh_token: 'rt-new-5555' }))
    const credential = await getFreshCredential(acme, key, store, nextProcess(store, http))
    expect(credential.access_token).toBe('at-new-4444')
    expect(http.calls).toHaveLength(1)
  })
})
