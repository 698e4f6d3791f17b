/**
 * A login over an existing credential (issue 13; shared/providers.md "What the
 * tool gets wrong today" 5 for LiveChat's 25-token cap): it says it replaced it once stored,
 * asks first on a terminal, and at a provider with `revoke_replaced_on_login`
 * revokes the replaced tokens once the new ones are stored.
 */
import { describe, expect, it } from 'vitest'
import { runLogin } from '../../../src/cli/commands/login'
import type { LoginOptions } from '../../../src/cli/commands/login'
import { formatError } from '../../../src/cli/report'
import { ReplaceDeclinedError } from '../../../src/session/errors'
import { TransportError } from '../../../src/http/types'
import { StoreError } from '../../../src/store/credential-store'
import { BufferIO, FakeClock, jsonResponse, makeTestDeps, MemoryStore, RecordingBrowser, recordingHttp, rejectionOf, scriptedLoopback } from '../../fakes'
import { ACME, stored } from '../session/helpers'

class PromptIO extends BufferIO {
  prompts: string[] = []
  override async readLine(prompt = ''): Promise<string> {
    this.prompts.push(prompt)
    return super.readLine()
  }
}

const base: LoginOptions = {
  provider: 'livechat', profile: 'default', json: false, verbose: false, store: 'auto', browser: true, timeoutSeconds: 300,
  clientSecretStdin: false, withToken: false, device: false, oauth: false, remote: false, clientCredentials: false,
}

const OLD = stored({ provider: 'livechat', client_id: 'lc-client', access_token: 'dal:at-old-1111', refresh_token: 'rt-old-2222' })
const NEW_TOKENS = { access_token: 'dal:at-new-3333', refresh_token: 'rt-new-4444', token_type: 'Bearer', expires_in: 28800, scope: 'chats--all:ro' }

function world(options: { tty?: boolean; answer?: string; revoke?: 'ok' | 'down'; config?: Record<string, unknown> } = {}) {
  const loop = scriptedLoopback()
  const io = new PromptIO({ stdinIsTTY: options.tty ?? false, lines: options.answer === undefined ? [] : [options.answer] })
  io.stderr = { ...io.stderr, isTTY: options.tty ?? false }
  const browser = new RecordingBrowser(async (url) => {
    const state = new URL(url).searchParams.get('state') as string
    setTimeout(() => loop.deliver(new URLSearchParams({ code: 'dal:code-1', state })), 5)
    return { opened: true, via: 'test' }
  })
  const http = recordingHttp((url, init) => {
    if (init.method === 'DELETE') {
      if (options.revoke === 'down') throw new TransportError('connect', url, 'connect ECONNREFUSED accounts.livechat.com')
      return jsonResponse(200, {})
    }
    return jsonResponse(200, NEW_TOKENS)
  })
  const store = new MemoryStore()
  const config = JSON.stringify({
    providers: { livechat: { redirect_uri: 'http://127.0.0.1:0/callback', client_id: 'lc-client' }, acme: ACME, ...options.config },
  })
  const deps = makeTestDeps({
    io, browser, http, listen: loop.listen, store, clock: new FakeClock(undefined, { manual: true }),
    readTextFile: async (p) => (p.endsWith('config.json') ? config : undefined),
  })
  return { deps, io, http, store, loop }
}

const deletes = (http: ReturnType<typeof world>['http']) => http.calls.filter((c) => c.method === 'DELETE')

describe('login over an existing credential', () => {
  it('without a terminal goes ahead, says it replaced once the new one is stored, and at LiveChat revokes the replaced pair after storing the new one', async () => {
    const w = world()
    await w.store.set(OLD)
    await runLogin(base, w.deps, () => {})
    const saved = await w.store.get({ provider: 'livechat', profile: 'default' })
    expect(saved.status === 'found' && saved.credential.access_token).toBe('dal:at-new-3333')
    expect(w.io.stderrText).toContain('Already logged in to livechat (profile default): the new login replaced the stored credentials.')
    expect(w.io.prompts).toEqual([])
    // DELETE /v2/token with each old token as Bearer, refresh token first; never the new ones.
    expect(deletes(w.http).map((c) => [c.url, c.headers.get('authorization')])).toEqual([
      ['https://accounts.livechat.com/v2/token', 'Bearer rt-old-2222'],
      ['https://accounts.livechat.com/v2/token', 'Bearer dal:at-old-1111'],
    ])
    const exchange = w.http.calls.findIndex((c) => c.method === 'POST')
    expect(exchange).toBeLessThan(w.http.calls.findIndex((c) => c.method === 'DELETE'))
    expect(w.io.stderrText).toContain('Revoked the replaced livechat tokens (profile default).')
  })

  it('--with-token with nothing on stdin fails naming what is missing, says nothing of replacing, and keeps the stored credential', async () => {
    const w = world()
    await w.store.set(OLD)
    const error = await rejectionOf(runLogin({ ...base, withToken: true }, w.deps, () => {}))
    const report = formatError(error, { verbose: false })
    expect(report.exitCode).toBe(2)
    expect(report.text).toMatch(/no ACCOUNT_ID:PAT was given for livechat/)
    expect(w.io.stderrText).not.toMatch(/replac/i)
    const kept = await w.store.get({ provider: 'livechat', profile: 'default' })
    expect(kept.status === 'found' && kept.credential).toEqual(OLD)
  })

  it('CI=true login --force that cannot finish here says nothing of replacing, and keeps the stored credential', async () => {
    const w = world()
    await w.store.set(OLD)
    const deps = { ...w.deps, env: { CI: 'true' }, browser: new RecordingBrowser(undefined, 'no display') }
    const error = await rejectionOf(runLogin({ ...base, force: true }, deps, () => {}))
    const report = formatError(error, { verbose: false })
    expect(report.exitCode).toBe(2)
    expect(report.text).toMatch(/cannot finish here/)
    expect(w.io.stderrText).not.toMatch(/replac/i)
    expect(w.http.calls).toEqual([])
    const kept = await w.store.get({ provider: 'livechat', profile: 'default' })
    expect(kept.status === 'found' && kept.credential).toEqual(OLD)
  })

  it('revokes the pair stored when the new one is saved, not the one read before the browser flow (a refresh meanwhile)', async () => {
    const w = world()
    await w.store.set(OLD)
    const REFRESHED = { ...OLD, access_token: 'dal:at-refreshed-5555', refresh_token: 'rt-refreshed-6666' }
    // While the user is in the browser, a `call` elsewhere refreshes the stored pair at the rotating provider.
    const deps = {
      ...w.deps,
      browser: new RecordingBrowser(async (url) => {
        await w.store.set(REFRESHED)
        const state = new URL(url).searchParams.get('state') as string
        setTimeout(() => w.loop.deliver(new URLSearchParams({ code: 'dal:code-1', state })), 5)
        return { opened: true, via: 'test' }
      }),
    }
    await runLogin(base, deps, () => {})
    expect(deletes(w.http).map((c) => c.headers.get('authorization'))).toEqual(['Bearer rt-refreshed-6666', 'Bearer dal:at-refreshed-5555'])
    const saved = await w.store.get({ provider: 'livechat', profile: 'default' })
    expect(saved.status === 'found' && saved.credential.access_token).toBe('dal:at-new-3333')
  })

  it('asks on a terminal; "y" replaces', async () => {
    const w = world({ tty: true, answer: 'y' })
    await w.store.set(OLD)
    await runLogin(base, w.deps, () => {})
    expect(w.io.prompts).toEqual(['Already logged in to livechat (profile default). Log in again and replace the stored credentials? [y/N] '])
    expect(deletes(w.http)).toHaveLength(2)
  })

  it('a declined prompt exits 1, changes nothing and sends nothing', async () => {
    const w = world({ tty: true, answer: '' })
    await w.store.set(OLD)
    const error = await rejectionOf(runLogin(base, w.deps, () => {}), ReplaceDeclinedError)
    const report = formatError(error, { verbose: false })
    expect(report.exitCode).toBe(1)
    expect(report.text).toContain('login cancelled: the stored credentials for livechat (profile default) were kept')
    expect(report.text).toContain('oauth-cli login livechat --force')
    expect(w.http.calls).toEqual([])
    expect(w.loop.started).toHaveLength(0)
    const kept = await w.store.get({ provider: 'livechat', profile: 'default' })
    expect(kept.status === 'found' && kept.credential).toEqual(OLD)
  })

  it('--force on a terminal does not ask', async () => {
    const w = world({ tty: true })
    await w.store.set(OLD)
    await runLogin({ ...base, force: true }, w.deps, () => {})
    expect(w.io.prompts).toEqual([])
    expect(w.io.stderrText).toContain('the new login replaced the stored credentials')
  })

  it('a failed revoke of the replaced tokens does not fail the login, and says so', async () => {
    const w = world({ revoke: 'down' })
    await w.store.set(OLD)
    const summary = await runLogin(base, w.deps, () => {})
    expect(summary.provider).toBe('livechat')
    const saved = await w.store.get({ provider: 'livechat', profile: 'default' })
    expect(saved.status === 'found' && saved.credential.access_token).toBe('dal:at-new-3333')
    expect(w.io.stderrText).toMatch(/warning: logged in, but the replaced livechat tokens \(profile default\) could not be revoked \(.*ECONNREFUSED.*\); they stay valid/)
  })

  it('asks nothing and revokes nothing when nothing is stored', async () => {
    const w = world({ tty: true })
    await runLogin(base, w.deps, () => {})
    expect(w.io.prompts).toEqual([])
    expect(deletes(w.http)).toEqual([])
    expect(w.io.stderrText).not.toContain('replaces')
  })

  it('revokes nothing at a provider without revoke_replaced_on_login (a new login may share the grant)', async () => {
    const w = world()
    await w.store.set(stored())
    await runLogin({ ...base, provider: 'acme' }, w.deps, () => {})
    expect(w.io.stderrText).toContain('Already logged in to acme (profile default)')
    expect(w.http.calls.filter((c) => c.url.includes('/revoke'))).toEqual([])
  })

  it('an unreadable stored item does not stop the login that replaces it', async () => {
    const w = world()
    const key = { provider: 'livechat', profile: 'default' }
    w.store.get = async (k) => {
      if (k.provider === key.provider) throw new StoreError('corrupt', 'memory', 'the stored item for livechat:default is corrupt', { key })
      return { status: 'missing' }
    }
    await runLogin(base, w.deps, () => {})
    expect(w.io.stderrText).toContain('could not be read; the new login replaced them')
    expect(deletes(w.http)).toEqual([])
  })

  it('Livestorm without a redirect URI stops before asking or warning, and keeps what is stored', async () => {
    const w = world({ tty: true, answer: 'y' })
    const apiToken = stored({ provider: 'livestorm', kind: 'static', access_token: 'ls-token', token_type: 'static', refresh_token: undefined })
    await w.store.set(apiToken)
    const error = await rejectionOf(runLogin({ ...base, provider: 'livestorm', clientId: 'ls-client' }, w.deps, () => {}))
    expect(formatError(error, { verbose: false }).exitCode).toBe(2)
    expect(w.io.prompts).toEqual([])
    expect(w.io.stderrText).toBe('')
    const kept = await w.store.get({ provider: 'livestorm', profile: 'default' })
    expect(kept.status === 'found' && kept.credential).toEqual(apiToken)
  })

  it('a config entry can turn it off for LiveChat', async () => {
    const w = world({ config: { livechat: { redirect_uri: 'http://127.0.0.1:0/callback', client_id: 'lc-client', revoke_replaced_on_login: false } } })
    await w.store.set(OLD)
    await runLogin(base, w.deps, () => {})
    expect(deletes(w.http)).toEqual([])
  })
})
