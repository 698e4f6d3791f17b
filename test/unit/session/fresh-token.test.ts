import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decodeBundle } from '../../../src/session/bundle'
import { TransportError, type HttpClient } from '../../../src/http/types'
import { StoreError } from '../../../src/store/credential-store'
import { ProtocolError } from '../../../src/oauth/errors'
import { CancelledError, NotLoggedInError, RefreshRejectedError } from '../../../src/session/errors'
import { ConfigError } from '../../../src/providers/errors'
import { getFreshCredential } from '../../../src/session/fresh-token'
import { toCliError } from '../../../src/cli/report'
import { jsonResponse, makeTestDeps, MemoryStore, recordingHttp, rejectionOf } from '../../fakes'
import { ACME, provider, stored } from './helpers'

const key = { provider: 'acme', profile: 'default' }
const acme = provider('acme', ACME)

function refreshedBody(overrides: Record<string, unknown> = {}) {
  return { access_token: 'at-new-4444', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-new-5555', ...overrides }
}

describe('getFreshCredential', () => {
  it('returns a token that is fresh beyond the skew without any request', async () => {
    const store = new MemoryStore()
    await store.set(stored({ expires_at: '2026-01-01T01:00:00Z' }))
    const http = recordingHttp(() => jsonResponse(200, {}))
    const deps = makeTestDeps({ store, http })
    const credential = await getFreshCredential(acme, key, store, deps)
    expect(credential.access_token).toBe('at-old-1111')
    expect(http.calls).toHaveLength(0)
  })

  it('refreshes a token expiring within 60 s and stores the rotated refresh token', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    const http = recordingHttp(() => jsonResponse(200, refreshedBody()))
    const deps = makeTestDeps({ store, http })
    const credential = await getFreshCredential(acme, key, store, deps)
    expect(credential.access_token).toBe('at-new-4444')
    expect(http.calls).toHaveLength(1)
    const body = new URLSearchParams(http.calls[0]!.body)
    expect(http.calls[0]!.url).toBe('https://id.acme.example/token')
    expect(body.get('grant_type')).toBe('refresh_token')
    expect(body.get('refresh_token')).toBe('rt-old-2222')
    expect(body.get('client_id')).toBe('acme-client')
    expect(body.get('client_secret')).toBe('acme-secret-3333')
    const saved = await store.get(key)
    expect(saved.status === 'found' && saved.credential.refresh_token).toBe('rt-new-5555')
    expect(saved.status === 'found' && saved.credential.expires_at).toBe(
      new Date(deps.clock.now() + 3600_000).toISOString(),
    )
  })

  it('keeps the old refresh token when the refresh response carries none', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    const http = recordingHttp(() => jsonResponse(200, refreshedBody({ refresh_token: undefined })))
    const deps = makeTestDeps({ store, http })
    await getFreshCredential(acme, key, store, deps)
    const saved = await store.get(key)
    expect(saved.status === 'found' && saved.credential.refresh_token).toBe('rt-old-2222')
    expect(saved.status === 'found' && saved.credential.access_token).toBe('at-new-4444')
  })

  it('reports invalid_grant as a rejected refresh and keeps the stored credential', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    const http = recordingHttp(() => jsonResponse(400, { error: 'invalid_grant', error_description: 'expired' }))
    const deps = makeTestDeps({ store, http })
    await expect(getFreshCredential(acme, key, store, deps)).rejects.toBeInstanceOf(RefreshRejectedError)
    const saved = await store.get(key)
    expect(saved.status === 'found' && saved.credential.refresh_token).toBe('rt-old-2222')
  })

  it.each([500, 502, 503])('a %s saying invalid_grant is the server failing: exit 5, the refresh token kept and still refreshable', async (status) => {
    const store = new MemoryStore()
    await store.set(stored())
    const http = recordingHttp(() => jsonResponse(status, { error: 'invalid_grant', error_description: 'upstream said so' }))
    const failure = await rejectionOf(getFreshCredential(acme, key, store, makeTestDeps({ store, http })))
    expect(failure).not.toBeInstanceOf(RefreshRejectedError)
    const cli = toCliError(failure)
    expect(cli.exitCode).toBe(5)
    expect(cli.message).toContain(`HTTP ${status}`)
    expect(cli.hint).toMatch(/try again/)
    const saved = await store.get(key)
    expect(saved.status === 'found' && saved.credential.refresh_token).toBe('rt-old-2222')
    expect(saved.status === 'found' && saved.credential.refresh_rejected_at).toBeUndefined()
  })

  it('a 500 saying unauthorized_client is the server failing too, not a client problem', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    const http = recordingHttp(() => jsonResponse(500, { error: 'unauthorized_client' }))
    const cli = toCliError(await rejectionOf(getFreshCredential(acme, key, store, makeTestDeps({ store, http }))))
    expect(cli.exitCode).toBe(5)
    expect(cli.hint).not.toMatch(/client id/)
  })

  it.each([['invalid_client'], ['unauthorized_client']])(
    'reports %s as a client problem, not a dead refresh token, and keeps the credential',
    async (error) => {
      const store = new MemoryStore()
      await store.set(stored())
      const http = recordingHttp(() => jsonResponse(401, { error }))
      const failure = await getFreshCredential(acme, key, store, makeTestDeps({ store, http })).catch((e: unknown) => e)
      expect(failure).not.toBeInstanceOf(RefreshRejectedError)
      expect((failure as { error?: string }).error).toBe(error)
      expect((await store.get(key)).status).toBe('found')
    },
  )

  it('refuses a refresh answer whose tokens hold line breaks or NUL: nothing stored, the old refresh token kept, the tokens never shown', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    const http = recordingHttp(() => jsonResponse(200, { access_token: 'AT1\r\nX-Injected: 1', refresh_token: 'RT\u0000x', token_type: 'Bearer' }))
    const deps = makeTestDeps({ store, http })
    const failure = await rejectionOf(getFreshCredential(acme, key, store, deps))
    expect(failure).toBeInstanceOf(ProtocolError)
    const cli = toCliError(failure)
    expect(cli.exitCode).toBe(1)
    expect(cli.message).toMatch(/access_token with characters a token may not hold/)
    expect(`${cli.message}${cli.hint ?? ''}${deps.io.stderrText}`).not.toMatch(/AT1|Injected|RT\u0000/)
    const saved = await store.get(key)
    expect(saved.status === 'found' && [saved.credential.access_token, saved.credential.refresh_token]).toEqual(['at-old-1111', 'rt-old-2222'])
  })

  it('keeps the good new refresh token of an answer whose access token is not allowed, so the next refresh sends that one, not the spent one', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    let answer: Record<string, unknown> = { access_token: 'AT1\r\nX-Injected: 1', refresh_token: 'rt-new-5555', token_type: 'Bearer', expires_in: 3600 }
    const http = recordingHttp(() => jsonResponse(200, answer))
    const deps = makeTestDeps({ store, http })
    const failure = await rejectionOf(getFreshCredential(acme, key, store, deps))
    expect(failure).toBeInstanceOf(ProtocolError)
    expect(toCliError(failure).message).toMatch(/its new refresh token was stored/)
    const saved = await store.get(key)
    expect(saved.status === 'found' && [saved.credential.access_token, saved.credential.refresh_token]).toEqual(['at-old-1111', 'rt-new-5555'])
    // The old access token counts as expired: whatever its expiry said, the next command refreshes.
    expect(saved.status === 'found' && saved.credential.expires_at).toBe(new Date(deps.clock.now()).toISOString())
    answer = refreshedBody({ refresh_token: 'rt-next-6666' })
    const credential = await getFreshCredential(acme, key, store, deps)
    expect(credential.access_token).toBe('at-new-4444')
    expect(new URLSearchParams(http.calls[1]!.body).get('refresh_token')).toBe('rt-new-5555')
  })

  it('keeps such a refresh token as any refresh answer is stored: naming the endpoint that answered (the provider moved it), with the old rejection forgotten', async () => {
    // Stored before the provider moved its token endpoint, and once rejected (a refresh that said invalid_grant, retried since).
    const store = new MemoryStore()
    await store.set(stored({ token_endpoint: 'https://old.acme.example/token', refresh_rejected_at: '2025-12-31T23:30:00Z' }))
    let answer: Record<string, unknown> = { access_token: 'AT1\r\nX-Injected: 1', refresh_token: 'rt-new-5555', token_type: 'Bearer', expires_in: 3600 }
    const http = recordingHttp(() => jsonResponse(200, answer))
    const deps = makeTestDeps({ store, http })
    await rejectionOf(getFreshCredential(acme, key, store, deps))
    const saved = await store.get(key)
    expect(saved.status === 'found' && saved.credential).toMatchObject({
      refresh_token: 'rt-new-5555',
      token_endpoint: 'https://id.acme.example/token',
      updated_at: new Date(deps.clock.now()).toISOString(),
    })
    expect(saved.status === 'found' && saved.credential.refresh_rejected_at).toBeUndefined()
    // The next refresh has no stale endpoint to warn about (one line, printed by the first refresh only).
    const warned = deps.io.stderrText
    answer = refreshedBody({ refresh_token: 'rt-next-6666' })
    await getFreshCredential(acme, key, store, deps)
    expect(deps.io.stderrText.slice(warned.length)).not.toMatch(/names the token endpoint/)
  })

  it('keeps the good access token of a refresh answer whose refresh token is not allowed, and the stored refresh token, with a warning', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    const http = recordingHttp(() => jsonResponse(200, refreshedBody({ refresh_token: 'RT\u0000x' })))
    const deps = makeTestDeps({ store, http })
    const credential = await getFreshCredential(acme, key, store, deps)
    expect(credential.access_token).toBe('at-new-4444')
    const saved = await store.get(key)
    expect(saved.status === 'found' && [saved.credential.access_token, saved.credential.refresh_token]).toEqual(['at-new-4444', 'rt-old-2222'])
    expect(deps.io.stderrText).toMatch(/warning: .*refresh_token with characters a token may not hold/)
    expect(deps.io.stderrText).not.toContain('RT\u0000x')
  })

  it('sends the client secret given now (a rotated one) rather than the one stored at login', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    const http = recordingHttp(() => jsonResponse(200, refreshedBody()))
    const rotated = provider('acme', ACME, { ACME_CLIENT_SECRET: 'rotated-secret-8888' })
    await getFreshCredential(rotated, key, store, makeTestDeps({ store, http }))
    expect(new URLSearchParams(http.calls[0]!.body).get('client_secret')).toBe('rotated-secret-8888')
  })

  it('tries again to save new tokens when the store fails once, so a rotated refresh token is not lost', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    const realSet = store.set.bind(store)
    let failures = 1
    store.set = async (c) => {
      if (failures-- > 0) throw new StoreError('timeout', 'OS keychain', 'did not answer in time')
      return realSet(c)
    }
    const http = recordingHttp(() => jsonResponse(200, refreshedBody()))
    await getFreshCredential(acme, key, store, makeTestDeps({ store, http }))
    const saved = await store.get(key)
    expect(saved.status === 'found' && saved.credential.refresh_token).toBe('rt-new-5555')
  })

  it('says plainly when new tokens could not be saved at all, and names the emergency file holding them', async () => {
    // A home of its own: the emergency file is really written, and must not pile up in a shared directory.
    const home = mkdtempSync(join(tmpdir(), 'oauth-cli-unsaved-'))
    try {
      const store = new MemoryStore()
      await store.set(stored())
      store.set = async () => {
        throw new StoreError('io', '/data', 'disk full')
      }
      const http = recordingHttp(() => jsonResponse(200, refreshedBody()))
      const error = await getFreshCredential(acme, key, store, makeTestDeps({ store, http, homedir: home })).catch((e: unknown) => e)
      const message = (error as Error).message
      expect(message).toMatch(/issued new tokens for profile default, but they could not be saved \(disk full\)/)
      const path = /written to (\S+) \(mode 0600/.exec(message)?.[1]
      expect(path?.startsWith(home)).toBe(true)
      const rescued = decodeBundle(readFileSync(path!, 'utf8'))
      expect(rescued.ok && rescued.credential.refresh_token).toBe('rt-new-5555')
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })

  it('never sends anything to a stored token endpoint when the provider has none of its own', async () => {
    const store = new MemoryStore()
    await store.set(stored({ token_endpoint: 'http://evil.example/token' }))
    const noEndpoint = provider('acme', { ...ACME, token_endpoint: undefined, issuer: undefined })
    const http = recordingHttp(() => jsonResponse(200, refreshedBody()))
    await expect(getFreshCredential(noEndpoint, key, store, makeTestDeps({ store, http }))).rejects.toThrow(/acme has no token_endpoint/)
    expect(http.calls).toHaveLength(0)
  })

  it('refreshes at the configured token endpoint when the stored one differs, says so, and stores the right one', async () => {
    const store = new MemoryStore()
    await store.set(stored({ token_endpoint: 'https://evil.example/token' }))
    const http = recordingHttp(() => jsonResponse(200, refreshedBody()))
    const deps = makeTestDeps({ store, http })
    const credential = await getFreshCredential(acme, key, store, deps)
    expect(http.calls.map((c) => c.url)).toEqual([ACME.token_endpoint])
    expect(deps.io.stderrText).toMatch(/names the token endpoint https:\/\/evil\.example\/token, which is not acme's/)
    expect(credential.token_endpoint).toBe(ACME.token_endpoint)
  })

  it('adopts a newer refresh token another process stored when the provider says invalid_grant', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    const http = recordingHttp(async () => {
      // Another writer rotated the tokens meanwhile.
      await store.set(stored({ access_token: 'at-other-6666', refresh_token: 'rt-other-7777', expires_at: '2026-01-01T02:00:00Z' }))
      return jsonResponse(400, { error: 'invalid_grant' })
    })
    const deps = makeTestDeps({ store, http })
    const credential = await getFreshCredential(acme, key, store, deps)
    expect(credential.access_token).toBe('at-other-6666')
  })

  it('keeps the newer credential written during a refresh, and rescues the refreshed tokens to a 0600 file it names', async () => {
    const home = mkdtempSync(join(tmpdir(), 'oauth-cli-rescue-'))
    try {
      const store = new MemoryStore()
      await store.set(stored())
      const http = recordingHttp(async () => {
        // A writer that did not take the lock (an import) stores a newer credential meanwhile.
        await store.set(stored({ access_token: 'at-other-6666', refresh_token: 'rt-other-7777', expires_at: '2026-01-01T02:00:00Z' }))
        return jsonResponse(200, refreshedBody())
      })
      const deps = makeTestDeps({ store, http, homedir: home })
      const credential = await getFreshCredential(acme, key, store, deps)
      expect(credential.access_token).toBe('at-other-6666')
      const saved = await store.get(key)
      expect(saved.status === 'found' && saved.credential.refresh_token).toBe('rt-other-7777')
      const lines = deps.io.stderrText.split('\n').filter((line) => line !== '')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/acme \(profile default\) was replaced while this refresh ran/)
      expect(lines[0]).not.toContain('rt-new-5555')
      const path = /written to (\S+) \(mode 0600/.exec(lines[0]!)?.[1]
      expect(path).toBeDefined()
      expect(path!.startsWith(home)).toBe(true)
      expect(statSync(path!).mode & 0o777).toBe(0o600)
      const rescued = decodeBundle(readFileSync(path!, 'utf8'))
      expect(rescued.ok && rescued.credential.refresh_token).toBe('rt-new-5555')
      expect(rescued.ok && rescued.credential.access_token).toBe('at-new-4444')
      expect(lines[0]).toContain(`oauth-cli import --store file < ${path}`)
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })

  it('leaves the stored credential untouched when the token endpoint is unreachable', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    const http = recordingHttp(() => {
      throw new TransportError('connect', 'https://id.acme.example/token', 'could not connect to id.acme.example:443')
    })
    const deps = makeTestDeps({ store, http })
    await expect(getFreshCredential(acme, key, store, deps)).rejects.toBeInstanceOf(TransportError)
    expect(store.writes).toBe(1)
    const saved = await store.get(key)
    expect(saved.status === 'found' && saved.credential.access_token).toBe('at-old-1111')
  })

  it('says at the refresh deadline that a rotating provider may have spent the refresh token, not just to try again', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    // The request reached the provider; its answer never came back within the deadline.
    const http: HttpClient = (_url, init) =>
      new Promise<Response>((_resolve, reject) => {
        const signal = init?.signal
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
      })
    const deps = makeTestDeps({ store, http, env: { OAUTH_CLI_REFRESH_DEADLINE_MS: '50' } })
    const error = await getFreshCredential(acme, key, store, deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TransportError)
    const message = (error as Error).message
    expect(message).toMatch(/did not finish within 50 ms/)
    expect(message).toMatch(/may have (spent|rotated)/)
    expect(message).toMatch(/invalid_grant/)
    expect(message).toMatch(/log in|login/)
    const saved = await store.get(key)
    expect(saved.status === 'found' && saved.credential.refresh_token).toBe('rt-old-2222')
  })

  it.for(['99999999999', '3600001', '0', '1.5', 'soon'])('refuses OAUTH_CLI_REFRESH_DEADLINE_MS=%s (exit 2, naming it and the range) before sending anything', async (value) => {
    const store = new MemoryStore()
    await store.set(stored())
    let sent = 0
    const http = recordingHttp(() => {
      sent += 1
      return jsonResponse(200, { access_token: 'at-new', token_type: 'Bearer', expires_in: 3600 })
    })
    const deps = makeTestDeps({ store, http, env: { OAUTH_CLI_REFRESH_DEADLINE_MS: value } })
    const error = await getFreshCredential(acme, key, store, deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as Error).message).toMatch(/OAUTH_CLI_REFRESH_DEADLINE_MS .* from 1 to 3600000/)
    expect(sent).toBe(0)
    expect(store.writes).toBe(1)
  })

  it('a request in flight when the lock is taken over is not aborted: the answer that comes is kept and, nobody having written meanwhile, stored', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    const lost = new AbortController()
    const takenOver = new StoreError('locked', '/locks/acme', 'the lock /locks/acme was taken over while this process held it')
    let sent!: () => void
    const inFlight = new Promise<void>((resolve) => (sent = resolve))
    let answer!: (response: Response) => void
    const http: HttpClient = (_url, init) =>
      new Promise<Response>((resolve, reject) => {
        const signal = init?.signal
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
        answer = resolve
        sent()
      })
    const locker = { withLock: <T>(_name: string, fn: (hold: { signal: AbortSignal; fence: string; holder: string }) => Promise<T>) => fn({ signal: lost.signal, fence: 'f', holder: 'pid 1 on here' }) }
    const deps = makeTestDeps({ store, http })
    const refresh = getFreshCredential(acme, key, store, { ...deps, locker: async () => locker })
    await inFlight
    lost.abort(takenOver)
    answer(jsonResponse(200, refreshedBody()))
    expect((await refresh).refresh_token).toBe('rt-new-5555')
    const saved = await store.get(key)
    expect(saved.status === 'found' && saved.credential.refresh_token).toBe('rt-new-5555')
  })

  it('sends nothing once the lock was taken over, not even a retry, and says the refresh token was not spent', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    const lost = new AbortController()
    const takenOver = new StoreError('locked', '/locks/acme', 'the lock /locks/acme was taken over while this process held it')
    const http = recordingHttp(() => {
      // The provider is busy (a 503 the refresh retries); meanwhile the lock is lost.
      lost.abort(takenOver)
      return jsonResponse(503, { error: 'temporarily_unavailable' }, { 'retry-after': '1' })
    })
    const locker = { withLock: <T>(_name: string, fn: (hold: { signal: AbortSignal; fence: string; holder: string }) => Promise<T>) => fn({ signal: lost.signal, fence: 'f', holder: 'pid 1 on here' }) }
    const deps = makeTestDeps({ store, http })
    const error = await rejectionOf(getFreshCredential(acme, key, store, { ...deps, locker: async () => locker }))
    expect(http.calls).toHaveLength(1)
    expect(error.message).toContain('taken over while this process held it')
    expect(error.message).toContain('the stored refresh token is not spent')
    const saved = await store.get(key)
    expect(saved.status === 'found' && saved.credential.refresh_token).toBe('rt-old-2222')
  })

  it('refreshes once for concurrent callers and hands both the same new token', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    let releaseRefresh!: () => void
    const gate = new Promise<void>((resolve) => (releaseRefresh = resolve))
    const http = recordingHttp(async () => {
      await gate
      return jsonResponse(200, refreshedBody())
    })
    const deps = makeTestDeps({ store, http })
    const first = getFreshCredential(acme, key, store, deps)
    const second = getFreshCredential(acme, key, store, deps)
    releaseRefresh()
    const [a, b] = await Promise.all([first, second])
    expect(http.calls).toHaveLength(1)
    expect(a.access_token).toBe('at-new-4444')
    expect(b.access_token).toBe('at-new-4444')
  })

  it('says login is needed when nothing is stored', async () => {
    const deps = makeTestDeps()
    const error = await getFreshCredential(acme, key, new MemoryStore(), deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NotLoggedInError)
    expect((error as NotLoggedInError).reason).toBe('missing')
  })

  it('says login is needed when the token expired and there is no refresh token', async () => {
    const store = new MemoryStore()
    await store.set(stored({ refresh_token: undefined }))
    const error = await getFreshCredential(acme, key, store, makeTestDeps({ store })).catch((e: unknown) => e)
    expect((error as NotLoggedInError).reason).toBe('expired_no_refresh')
  })

  it('never refreshes a static credential', async () => {
    const store = new MemoryStore()
    await store.set(stored({ kind: 'static', access_token: 'acct:pat', refresh_token: undefined, expires_at: undefined }))
    const credential = await getFreshCredential(acme, key, store, makeTestDeps({ store }), { force: true })
    expect(credential.access_token).toBe('acct:pat')
  })

  it('forces a refresh on request even when the token is fresh', async () => {
    const store = new MemoryStore()
    await store.set(stored({ expires_at: '2026-01-01T05:00:00Z' }))
    const http = recordingHttp(() => jsonResponse(200, refreshedBody()))
    const credential = await getFreshCredential(acme, key, store, makeTestDeps({ store, http }), { force: true })
    expect(credential.access_token).toBe('at-new-4444')
  })
})

describe("getFreshCredential and the store's check before spending the refresh token", () => {
  /** A store whose writability check answers only when told to, recording when it was asked. */
  function checkedStore() {
    const store = new MemoryStore() as MemoryStore & { checkWritable: (key: unknown, bytes: number) => Promise<void> }
    const asked: number[] = []
    let settle: { resolve: () => void; reject: (err: Error) => void } | undefined
    store.checkWritable = (_key, bytes) =>
      new Promise<void>((resolve, reject) => {
        asked.push(bytes)
        settle = { resolve, reject }
      })
    return { store, asked, answer: () => settle as NonNullable<typeof settle> }
  }
  /** Until nothing is left to run: the refresh has gone as far as it can without the check's answer. */
  const idle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
  }

  it('sends the refresh only once the check passed, though the check runs while the request is prepared', async () => {
    const { store, asked, answer } = checkedStore()
    await store.set(stored())
    const http = recordingHttp(() => jsonResponse(200, refreshedBody()))
    const refreshed = getFreshCredential(acme, key, store, makeTestDeps({ store, http }))
    await idle()
    expect(asked).toHaveLength(1)
    expect(http.calls).toHaveLength(0)
    answer().resolve()
    expect((await refreshed).access_token).toBe('at-new-4444')
    expect(http.calls).toHaveLength(1)
  })

  it('sends nothing, and keeps the stored refresh token, when the store cannot take the answer', async () => {
    const { store, answer } = checkedStore()
    await store.set(stored())
    const http = recordingHttp(() => jsonResponse(200, refreshedBody()))
    const refreshed = getFreshCredential(acme, key, store, makeTestDeps({ store, http }))
    await idle()
    answer().reject(new StoreError('io', '/data/credentials', 'cannot write to /data/credentials: no space left on the device (ENOSPC)'))
    const err = await refreshed.then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(StoreError)
    expect((err as Error).message).toMatch(/^not refreshing acme \(profile default\): the store could not take the new tokens .*ENOSPC.*the refresh token was not spent/)
    expect(http.calls).toHaveLength(0)
    const kept = await store.get(key)
    expect(kept.status === 'found' && kept.credential.refresh_token).toBe('rt-old-2222')
  })

  it('on a Ctrl-C while the check runs, sends nothing, and has the root wait until the check and the lock are done', async () => {
    const { store, answer } = checkedStore()
    await store.set(stored())
    const http = recordingHttp(() => jsonResponse(200, refreshedBody()))
    const controller = new AbortController()
    const handed: Array<Promise<unknown>> = []
    const interrupt = { signal: controller.signal, finish: (work: Promise<unknown>) => void handed.push(work) }
    const refreshed = getFreshCredential(acme, key, store, makeTestDeps({ store, http, interrupt }))
    refreshed.catch(() => undefined)
    await idle()
    expect(handed).toHaveLength(1)
    controller.abort(new CancelledError())
    let done = false
    void handed[0]!.then(() => undefined, () => undefined).finally(() => (done = true))
    await idle()
    // The check (a temp file on disk, for the file store) is still out: what the root waits for is not done.
    expect(done).toBe(false)
    answer().resolve()
    await expect(refreshed).rejects.toBeInstanceOf(CancelledError)
    expect(done).toBe(true)
    expect(http.calls).toHaveLength(0)
    const kept = await store.get(key)
    expect(kept.status === 'found' && kept.credential.refresh_token).toBe('rt-old-2222')
  })

  it('lets a refresh already sent finish on a Ctrl-C: the answer is awaited and stored, then the refresh ends cancelled', async () => {
    const store = new MemoryStore()
    await store.set(stored())
    let answer!: () => void
    const http: HttpClient = async (_url, init) => {
      await new Promise<void>((resolve) => (answer = resolve))
      init?.signal?.throwIfAborted()
      return jsonResponse(200, refreshedBody({ refresh_token: 'rt-rotated-9999' }))
    }
    const controller = new AbortController()
    let awaited = false
    const interrupt = { signal: controller.signal, finish: () => undefined, awaitAnswer: () => void (awaited = true) }
    const refreshed = getFreshCredential(acme, key, store, makeTestDeps({ store, http, interrupt }))
    refreshed.catch(() => undefined)
    for (let i = 0; answer === undefined && i < 50; i++) await idle()
    controller.abort(new CancelledError())
    await idle()
    answer()
    await expect(refreshed).rejects.toBeInstanceOf(CancelledError)
    const kept = await store.get(key)
    expect(kept.status === 'found' && kept.credential.refresh_token).toBe('rt-rotated-9999')
    // And the root was told, so that it says "cancelled" only after this.
    expect(awaited).toBe(true)
  })

  it("reports what stops the request's preparation first, as in sequence, and only once the check has settled", async () => {
    const { store, answer } = checkedStore()
    await store.set(stored())
    const http = recordingHttp(() => jsonResponse(200, refreshedBody()))
    const noEndpoint = provider('acme', { ...ACME, token_endpoint: undefined })
    let settled = false
    const refreshed = getFreshCredential(noEndpoint, key, store, makeTestDeps({ store, http })).finally(() => (settled = true))
    refreshed.catch(() => undefined)
    await idle()
    // The preparation failed already, yet the check (a temp file on disk, for the file store) is still out: not yet.
    expect(settled).toBe(false)
    answer().reject(new StoreError('io', '/data/credentials', 'cannot write to /data/credentials: read-only file system (EROFS)'))
    const err = await refreshed.then(() => undefined, (e: unknown) => e)
    expect((err as Error).message).toMatch(/token_endpoint/)
    expect(http.calls).toHaveLength(0)
  })
})
