/**
 * Login request shapes for the built-in providers, against their documented
 * forms (shared/providers.md): LiveChat's comma-separated scope and its
 * unauthorized_client for a used code, Livestorm's missing redirect default and
 * HTTPS paste mode, Tidio --oauth's JSON body with the secret in it.
 */
import { describe, expect, it } from 'vitest'
import { toCliError } from '../../../src/cli/report'
import { ConfigError } from '../../../src/providers/errors'
import { requestScope } from '../../../src/providers/scope'
import { CodeRejectedError } from '../../../src/session/errors'
import { browserLogin, type LoginEvent } from '../../../src/session/login-flows'
import { remoteLogin } from '../../../src/session/remote-login'
import { BufferIO, FakeClock, jsonResponse, makeTestDeps, RecordingBrowser, recordingHttp, rejectionOf, scriptedLoopback } from '../../fakes'
import { provider } from './helpers'

const options = { profile: 'default', noBrowser: false, timeoutSeconds: 300 }
const TOKENS = { access_token: 'dal:at-1', token_type: 'Bearer', expires_in: 28800, refresh_token: 'rt-1', scope: 'chats--all:ro,agents--all:ro' }

/** A browser that lands on the loopback listener with a code at once. */
function approvingWorld(answer: () => Response = () => jsonResponse(200, TOKENS)) {
  const loop = scriptedLoopback()
  const http = recordingHttp(answer)
  const browser = new RecordingBrowser(async (url) => {
    const state = new URL(url).searchParams.get('state') as string
    queueMicrotask(() => loop.deliver(new URLSearchParams({ code: 'dal:code-1', state })))
    return { opened: true, via: 'test' }
  })
  const deps = makeTestDeps({ http, browser, listen: loop.listen, clock: new FakeClock(undefined, { manual: true }) })
  return { loop, http, browser, deps }
}

function livechat(overrides: Record<string, unknown> = {}) {
  return provider('livechat', { redirect_uri: 'http://127.0.0.1:0/callback', ...overrides }, { LIVECHAT_CLIENT_ID: 'lc-client' })
}

describe('scope_separator', () => {
  it('joins LiveChat scopes with commas and leaves each documented form untouched', () => {
    const config = { scope_separator: ',' as const }
    expect(requestScope(config, 'chats--all:ro agents--all:ro')).toBe('chats--all:ro,agents--all:ro')
    expect(requestScope(config, 'accounts.roles--all:ro agents-bot--my:ro customers:own webhooks.state:rw')).toBe(
      'accounts.roles--all:ro,agents-bot--my:ro,customers:own,webhooks.state:rw',
    )
    expect(requestScope(config, 'chats--all:ro,agents--all:ro')).toBe('chats--all:ro,agents--all:ro')
    expect(requestScope(config, ' ')).toBeUndefined()
  })

  it('keeps spaces (RFC 6749 §3.3) by default', () => {
    expect(requestScope({}, 'identity:read  events:read')).toBe('identity:read events:read')
    expect(requestScope({}, undefined)).toBeUndefined()
  })

  it('sends `--scope chats--all:ro agents--all:ro` to LiveChat as chats--all:ro,agents--all:ro', async () => {
    const w = approvingWorld()
    await browserLogin(livechat({ scope: 'chats--all:ro agents--all:ro' }), options, w.deps, () => {})
    const authorize = new URL(w.browser.opened[0]!)
    expect(authorize.origin + authorize.pathname).toBe('https://accounts.livechat.com/')
    expect(authorize.searchParams.get('scope')).toBe('chats--all:ro,agents--all:ro')
    expect(authorize.search).toContain('scope=chats--all%3Aro%2Cagents--all%3Aro')
  })

  it('sends no scope to LiveChat when none is asked for (the app\'s scopes apply)', async () => {
    const w = approvingWorld()
    await browserLogin(livechat(), options, w.deps, () => {})
    expect(new URL(w.browser.opened[0]!).searchParams.has('scope')).toBe(false)
  })
})

describe('LiveChat code exchange answered unauthorized_client', () => {
  it('says the code expired or was used and to log in again; nothing is stored', async () => {
    const w = approvingWorld(() => jsonResponse(401, { error: 'unauthorized_client', error_description: 'authorization code not found' }))
    const error = await rejectionOf(browserLogin(livechat(), options, w.deps, () => {}), CodeRejectedError)
    const cli = toCliError(error)
    expect(cli.message).toBe(
      'livechat refused the authorization code: it expired or was already used (unauthorized_client: authorization code not found); nothing was stored',
    )
    expect(cli.hint).toBe('codes are single-use and short-lived: run: oauth-cli login livechat')
    expect(cli.exitCode).toBe(1)
    // PKCE and the public-client body as documented: client_id, no secret.
    const body = new URLSearchParams(w.http.calls[0]!.body)
    expect(body.get('grant_type')).toBe('authorization_code')
    expect(body.get('code')).toBe('dal:code-1')
    expect(body.get('client_id')).toBe('lc-client')
    expect(body.has('client_secret')).toBe(false)
    expect(body.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/)
  })

  it('about an invalid redirect_uri it stays that error', async () => {
    const w = approvingWorld(() => jsonResponse(401, { error: 'unauthorized_client', error_description: 'invalid redirect_uri' }))
    const error = await rejectionOf(browserLogin(livechat(), options, w.deps, () => {}))
    expect(error).not.toBeInstanceOf(CodeRejectedError)
    expect(toCliError(error).hint).toMatch(/check the client id and secret/)
  })
})

describe('Livestorm redirect URI', () => {
  const livestorm = (entry?: Record<string, unknown>) => provider('livestorm', entry, { LIVESTORM_CLIENT_ID: 'ls-client' })

  it('without one: exit 2 naming --redirect-uri and the config key, partner-only, --with-token; never listens', async () => {
    const w = approvingWorld()
    const error = await rejectionOf(browserLogin(livestorm(), options, w.deps, () => {}), ConfigError)
    const cli = toCliError(error)
    expect(cli.exitCode).toBe(2)
    expect(cli.message).toContain('--redirect-uri')
    expect(cli.message).toContain('redirect_uri in providers.livestorm in /cfg/config.json')
    expect(cli.message).toMatch(/only for technology partners/)
    expect(cli.hint).toContain('oauth-cli login livestorm --with-token')
    expect(w.loop.started).toEqual([])
    expect(w.browser.opened).toEqual([])
    expect(w.http.calls).toEqual([])
  })

  it('--remote says the same', async () => {
    const w = approvingWorld()
    const error = await rejectionOf(remoteLogin(livestorm(), options, w.deps, () => {}), ConfigError)
    expect(error.code).toBe('missing_redirect_uri')
    expect(w.loop.started).toEqual([])
  })

  it('with the registered HTTPS URL: paste mode, no listener, the form body Livestorm documents', async () => {
    const http = recordingHttp(() => jsonResponse(200, { access_token: 'ls-at', refresh_token: 'ls-rt', expires_in: 7200, token_type: 'Bearer' }))
    let state = ''
    const io = new BufferIO()
    io.readLine = async () => `https://partner.example/livestorm/callback?code=ls-code&state=${state}`
    const loop = scriptedLoopback()
    const browser = new RecordingBrowser(async (url) => ((state = new URL(url).searchParams.get('state') as string), { opened: true, via: 'test' }))
    const deps = makeTestDeps({ http, io, browser, listen: loop.listen, clock: new FakeClock(undefined, { manual: true }) })
    const events: LoginEvent[] = []
    const p = provider('livestorm', { redirect_uri: 'https://partner.example/livestorm/callback' }, {
      LIVESTORM_CLIENT_ID: 'ls-client',
      LIVESTORM_CLIENT_SECRET: 'ls-secret',
    })
    const result = await browserLogin(p, options, deps, (e) => events.push(e))
    expect(result.tokens.access_token).toBe('ls-at')
    expect(loop.started).toEqual([])
    expect(events[0]).toMatchObject({ type: 'authorize_url', mode: 'paste' })
    const authorize = new URL(browser.opened[0]!)
    expect(authorize.origin + authorize.pathname).toBe('https://app.livestorm.co/oauth/authorize')
    expect(authorize.searchParams.get('redirect_uri')).toBe('https://partner.example/livestorm/callback')
    expect(http.calls[0]!.url).toBe('https://app.livestorm.co/oauth/token')
    expect(http.calls[0]!.headers.get('content-type')).toMatch(/^application\/x-www-form-urlencoded/)
    expect(Object.fromEntries(new URLSearchParams(http.calls[0]!.body))).toEqual({
      grant_type: 'authorization_code',
      code: 'ls-code',
      redirect_uri: 'https://partner.example/livestorm/callback',
      code_verifier: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      client_id: 'ls-client',
      client_secret: 'ls-secret',
    })
  })
})

describe('Tidio --oauth', () => {
  it('posts the code exchange as JSON with the client secret in the body, as the guide does', async () => {
    const w = approvingWorld(() => jsonResponse(200, { access_token: 'td-at', refresh_token: 'td-rt', expires_in: 3600, token_type: 'Bearer' }))
    const tidio = provider('tidio', { redirect_uri: 'http://127.0.0.1:0/callback' }, { TIDIO_CLIENT_ID: 'td-client', TIDIO_CLIENT_SECRET: 'td-secret' })
    await browserLogin(tidio, options, w.deps, () => {})
    const call = w.http.calls[0]!
    expect(call.url).toBe('https://www.tidio.com/oauth/token')
    expect(call.headers.get('content-type')).toBe('application/json')
    expect(call.headers.has('authorization')).toBe(false)
    expect(JSON.parse(call.body)).toEqual({
      grant_type: 'authorization_code',
      code: 'dal:code-1',
      redirect_uri: 'http://127.0.0.1:45678/callback',
      code_verifier: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      client_id: 'td-client',
      client_secret: 'td-secret',
    })
  })
})
