import { describe, expect, it } from 'vitest'
import { executeLogin } from '../../../src/cli/commands/login'
import type { LoginOptions } from '../../../src/cli/commands/login'
import { getFreshCredential } from '../../../src/session/fresh-token'
import type { Hold } from '../../../src/store/credential-store'
import { BufferIO, FakeClock, jsonResponse, makeTestDeps, MemoryStore, memoryLocker, RecordingBrowser, recordingHttp, scriptedLoopback } from '../../fakes'
import { ACME, provider, stored } from '../session/helpers'

const options: LoginOptions = {
  provider: 'acme', profile: 'default', json: false, verbose: false, store: 'auto', browser: true, timeoutSeconds: 300,
  clientSecretStdin: false, withToken: false, device: false, oauth: false, remote: false, clientCredentials: false,
}

function world(stderrIsTTY: boolean) {
  const loop = scriptedLoopback()
  const io = new BufferIO()
  io.stderr = { ...io.stderr, isTTY: stderrIsTTY }
  const browser = new RecordingBrowser(async (url) => {
    const state = new URL(url).searchParams.get('state') as string
    setTimeout(() => loop.deliver(new URLSearchParams({ code: 'c', state })), 20)
    return { opened: true, via: 'test' }
  })
  const http = recordingHttp(() => jsonResponse(200, { access_token: 'at-9', token_type: 'Bearer', expires_in: 60 }))
  const deps = makeTestDeps({
    io, browser, http, listen: loop.listen, store: new MemoryStore(), clock: new FakeClock(undefined, { manual: true }),
    readTextFile: async (p) => (p.endsWith('config.json') ? JSON.stringify({ providers: { acme: ACME } }) : undefined),
  })
  return { deps, io }
}

describe('executeLogin progress', () => {
  it('shows a spinner on a terminal while the browser is open, and erases it', async () => {
    const { deps, io } = world(true)
    expect(await executeLogin(options, deps)).toBe(0)
    const text = io.stderrText
    expect(text).toContain('Waiting for you to approve in the browser')
    expect(text).toContain('\r\u001b[2K')
    expect(text).not.toContain('Waiting for the redirect')
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/Logged in to acme \(profile default\)/)
    expect(text).not.toContain('at-9')
  })

  it('prints plain lines instead when stderr is not a terminal', async () => {
    const { deps, io } = world(false)
    expect(await executeLogin(options, deps)).toBe(0)
    expect(io.stderrText).toContain('Waiting for the redirect to http://127.0.0.1:45678/callback')
    expect(io.stderrText).not.toContain('\u001b[')
  })
})

describe('a login while a refresh of the same credential is in flight', () => {
  it('stores the new credential after the refresh, so the refresh cannot write the replaced one over it', async () => {
    const { deps } = world(false)
    const store = (await deps.openStore('auto')) as MemoryStore
    const key = { provider: 'acme', profile: 'default' }
    await store.set(stored())
    // The lock a refresh of this credential takes, as the refresh itself names it.
    const inner = await deps.locker()
    const refreshHttp = recordingHttp(() => jsonResponse(200, { access_token: 'at-refreshed', token_type: 'Bearer', expires_in: 3600 }))
    await getFreshCredential(provider('acme', ACME), key, store, { ...deps, http: async () => refreshHttp }, { force: true })
    const refreshLock = (inner as ReturnType<typeof memoryLocker>).taken.at(-1)!
    let loginWaits!: () => void
    const waiting = new Promise<void>((resolve) => (loginWaits = resolve))
    const locker = {
      withLock: <T>(name: string, fn: (hold: Hold) => Promise<T>): Promise<T> => {
        if (name === refreshLock) loginWaits()
        return inner.withLock(name, fn)
      },
    }
    // A refresh holds the lock; the login completes meanwhile; the refresh then stores what it got.
    let login!: Promise<number>
    await inner.withLock(refreshLock, async () => {
      login = executeLogin(options, { ...deps, locker: async () => locker })
      await Promise.race([login, waiting])
      await store.set(stored({ access_token: 'at-refreshed-again' }))
    })
    expect(await login).toBe(0)
    const now = await store.get(key)
    expect(now.status === 'found' && now.credential.access_token).toBe('at-9')
  })
})

describe('the login line on stderr', () => {
  it('names the shared store it stored in, not the file store', async () => {
    const { deps, io } = world(false)
    const shared = new MemoryStore('postgres', 'db.internal:5432/oauth')
    expect(await executeLogin(options, { ...deps, openStore: async () => shared })).toBe(0)
    expect(io.stderrText).toMatch(/Logged in to acme \(profile default\); stored in the shared store at db\.internal:5432\/oauth/)
  })
})
