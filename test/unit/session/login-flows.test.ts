import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../../../src/oauth/errors'
import { InputError, LoginTimeoutError } from '../../../src/session/errors'
import { browserLogin, deviceLogin, UnusableLoginAnswer, type LoginEvent } from '../../../src/session/login-flows'
import {
  authorizeForRemote,
  decodeRemoteAnswer,
  decodeRemoteRequest,
  encodeRemoteAnswer,
  encodeRemoteRequest,
  remoteLogin,
} from '../../../src/session/remote-login'
import { BufferIO, FakeClock, jsonResponse, makeTestDeps as baseDeps, RecordingBrowser, recordingHttp, scriptedLoopback } from '../../fakes'

/** Login timeouts must race real events, so sleeps wait for an explicit advance. */
const makeTestDeps: typeof baseDeps = (overrides = {}) => baseDeps({ clock: new FakeClock(undefined, { manual: true }), ...overrides })
import { ACME, provider } from './helpers'

const TOKENS = { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-1' }

function tokenHttp() {
  return recordingHttp((url) => (url.endsWith('/token') ? jsonResponse(200, TOKENS) : jsonResponse(404, { error: 'not_found' })))
}

const acme = provider('acme', ACME)
const options = { profile: 'default', noBrowser: false, timeoutSeconds: 300 }

describe('browserLogin', () => {
  it('opens the browser with state and an S256 challenge, and exchanges the code with the verifier', async () => {
    const loop = scriptedLoopback()
    const http = tokenHttp()
    const browser = new RecordingBrowser(async (url) => {
      const state = new URL(url).searchParams.get('state') as string
      queueMicrotask(() => loop.deliver(new URLSearchParams({ code: 'c-1', state })))
      return { opened: true, via: 'test' }
    })
    const deps = makeTestDeps({ http, browser, listen: loop.listen })
    const result = await browserLogin(acme, options, deps, () => {})
    expect(result.tokens.access_token).toBe('at-1')
    const authorize = new URL(browser.opened[0]!)
    expect(authorize.origin + authorize.pathname).toBe('https://id.acme.example/authorize')
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:45678/callback')
    const body = new URLSearchParams(http.calls[0]!.body)
    expect(body.get('code')).toBe('c-1')
    expect(body.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/)
    expect(body.get('redirect_uri')).toBe('http://127.0.0.1:45678/callback')
    expect(loop.responses).toEqual([{ ok: true }])
  })

  it('stays in paste mode when the browser command fails, even where a device flow exists: paste mode needs no browser here', async () => {
    const withDevice = provider('acme', { ...ACME, device_authorization_endpoint: 'https://id.acme.example/device', redirect_uri: 'https://app.acme.example/callback' })
    const http = tokenHttp()
    const io = new BufferIO()
    let state = ''
    io.readLine = async () => `https://app.acme.example/callback?code=pasted&state=${state}`
    const browser = new RecordingBrowser(async (url) => {
      state = new URL(url).searchParams.get('state') as string
      return { opened: false, via: 'test', reason: 'xdg-open exited 3' }
    })
    const events: LoginEvent[] = []
    const result = await browserLogin(withDevice, options, makeTestDeps({ http, io, browser }), (e) => events.push(e))
    expect(result.tokens.access_token).toBe('at-1')
    expect(events).toEqual([expect.objectContaining({ type: 'authorize_url', opened: false, reason: 'xdg-open exited 3', mode: 'paste' }), { type: 'exchanging' }])
    expect(http.calls.map((c) => c.url)).toEqual(['https://id.acme.example/token'])
  })

  it('switches to the device flow when no browser can be opened and the provider has one', async () => {
    const http = recordingHttp((url) => {
      if (url.endsWith('/device')) {
        return jsonResponse(200, { device_code: 'dc', user_code: 'ABCD-EFGH', verification_uri: 'https://id.acme.example/activate', expires_in: 600, interval: 5 })
      }
      return jsonResponse(200, TOKENS)
    })
    const events: LoginEvent[] = []
    // Device polling sleeps between polls: let the clock run by itself here.
    const deps = makeTestDeps({ http, clock: new FakeClock(), browser: new RecordingBrowser(undefined, 'no display') })
    const withDevice = provider('acme', { ...ACME, device_authorization_endpoint: 'https://id.acme.example/device' })
    const result = await browserLogin(withDevice, options, deps, (e) => events.push(e))
    expect(result.tokens.access_token).toBe('at-1')
    expect(events[0]).toEqual({ type: 'switch_to_device', reason: 'no display' })
    expect(events.some((e) => e.type === 'device_code' && e.user_code === 'ABCD-EFGH')).toBe(true)
  })

  it('fails fast in CI without a terminal when no browser can be opened', async () => {
    const loop = scriptedLoopback()
    const deps = makeTestDeps({ env: { CI: 'true' }, browser: new RecordingBrowser(undefined, 'CI'), listen: loop.listen })
    const error = await browserLogin(acme, options, deps, () => {}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).hint).toMatch(/--device/)
    expect((error as InputError).hint).toMatch(/--with-token/)
    expect(loop.started).toHaveLength(0)
  })

  it('offers a short URL and accepts the redirected URL pasted on stdin when no browser opened', async () => {
    const loop = scriptedLoopback()
    const http = tokenHttp()
    const events: LoginEvent[] = []
    let pasted = ''
    const io = new BufferIO()
    io.readLine = async () => pasted
    const browser = new RecordingBrowser(async (url) => {
      const state = new URL(url).searchParams.get('state')
      pasted = `http://127.0.0.1:45678/callback?code=pasted-code&state=${state}`
      return { opened: false, reason: 'xdg-open: no method available' }
    })
    const deps = makeTestDeps({ http, io, browser, listen: loop.listen })
    const result = await browserLogin(acme, options, deps, (e) => events.push(e))
    expect(result.tokens.access_token).toBe('at-1')
    expect(new URLSearchParams(http.calls[0]!.body).get('code')).toBe('pasted-code')
    const shown = events.find((e) => e.type === 'authorize_url')
    expect(shown).toMatchObject({ opened: false, short_url: 'http://127.0.0.1:45678/', accepts_paste: true })
    expect(loop.landing()).toBe(browser.opened[0])
  })

  it('refuses a pasted URL whose state does not match, without any token request', async () => {
    const loop = scriptedLoopback()
    const http = tokenHttp()
    const io = new BufferIO({ lines: ['http://127.0.0.1:45678/callback?code=x&state=forged'] })
    const deps = makeTestDeps({ http, io, browser: new RecordingBrowser(async () => ({ opened: false, reason: 'none' })), listen: loop.listen })
    const error = await browserLogin(acme, options, deps, () => {}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProtocolError)
    expect((error as ProtocolError).code).toBe('state_mismatch')
    expect(http.calls).toHaveLength(0)
  })

  it('times out when nothing happens before --timeout', async () => {
    const loop = scriptedLoopback()
    const clock = new FakeClock(undefined, { manual: true })
    const deps = makeTestDeps({ clock, listen: loop.listen })
    const login = browserLogin(acme, { ...options, timeoutSeconds: 5 }, deps, () => {})
    await clock.waitForSleep()
    clock.advance(5_000)
    await expect(login).rejects.toThrow(/did not complete within 5 s/)
  })

  it('ends at once when no browser can reach this machine and stdin is closed', async () => {
    const loop = scriptedLoopback()
    const headless = new RecordingBrowser(async () => ({ opened: false, reason: 'no display' }), 'no display')
    const deps = makeTestDeps({ io: new BufferIO(), browser: headless, listen: loop.listen })
    await expect(browserLogin(acme, options, deps, () => {})).rejects.toBeInstanceOf(InputError)
  })

  it('keeps waiting for the callback when only the browser command failed and stdin is closed', async () => {
    const loop = scriptedLoopback()
    const http = tokenHttp()
    const io = new BufferIO()
    io.readLine = async () => {
      const state = loop.started[0]!.expectedState
      setTimeout(() => loop.deliver(new URLSearchParams({ code: 'opened-by-hand', state })), 5)
      return ''
    }
    const failing = new RecordingBrowser(async () => ({ opened: false, reason: 'xdg-open: no method available' }))
    const deps = makeTestDeps({ http, io, browser: failing, listen: loop.listen })
    const result = await browserLogin(acme, options, deps, () => {})
    expect(new URLSearchParams(http.calls[0]!.body).get('code')).toBe('opened-by-hand')
    expect(result.tokens.access_token).toBe('at-1')
  })

  it('keeps waiting for the callback after stdin closes when --no-browser was asked for', async () => {
    const loop = scriptedLoopback()
    const http = tokenHttp()
    const io = new BufferIO()
    io.readLine = async () => {
      const state = loop.started[0]!.expectedState
      setTimeout(() => loop.deliver(new URLSearchParams({ code: 'late', state })), 5)
      return ''
    }
    const deps = makeTestDeps({ http, io, listen: loop.listen })
    const result = await browserLogin(acme, { ...options, noBrowser: true }, deps, () => {})
    expect(result.tokens.access_token).toBe('at-1')
    expect(new URLSearchParams(http.calls[0]!.body).get('code')).toBe('late')
  })
})

describe('deviceLogin', () => {
  it('ends with a login timeout (exit 5) when --timeout passes before approval', async () => {
    const http = recordingHttp((url) =>
      url.endsWith('/device')
        ? jsonResponse(200, { device_code: 'dc', user_code: 'ABCD-EFGH', verification_uri: 'https://id.acme.example/activate', expires_in: 600, interval: 5 })
        : jsonResponse(400, { error: 'authorization_pending' }),
    )
    const clock = new FakeClock(undefined, { manual: true })
    const withDevice = provider('acme', { ...ACME, device_authorization_endpoint: 'https://id.acme.example/device' })
    const login = deviceLogin(withDevice, { ...options, noBrowser: true, timeoutSeconds: 3 }, makeTestDeps({ http, clock }), () => {})
    await clock.waitForSleep()
    clock.advance(5_000)
    await expect(login).rejects.toBeInstanceOf(LoginTimeoutError)
  })
})

describe('a device login answered with an access token no header may hold', () => {
  it('hands on its good refresh token with the client and endpoint it was issued for, never the access token', async () => {
    const http = recordingHttp((url) =>
      url.endsWith('/device')
        ? jsonResponse(200, { device_code: 'dc', user_code: 'ABCD-EFGH', verification_uri: 'https://id.acme.example/activate', expires_in: 600, interval: 5 })
        : jsonResponse(200, { access_token: 'AT1\r\nX-Injected: 1', refresh_token: 'rt-good-7777', token_type: 'Bearer', expires_in: 3600 }),
    )
    const clock = new FakeClock(undefined, { manual: true })
    const withDevice = provider('acme', { ...ACME, device_authorization_endpoint: 'https://id.acme.example/device' })
    const login = deviceLogin(withDevice, { ...options, noBrowser: true }, makeTestDeps({ http, clock }), () => {})
    login.catch(() => undefined)
    await clock.waitForSleep()
    clock.advance(5_000)
    const failure = await login.then(() => undefined, (err: unknown) => err)
    expect(failure).toBeInstanceOf(UnusableLoginAnswer)
    const kept = (failure as UnusableLoginAnswer).credential({ provider: 'acme', profile: 'default' }, clock.now())
    expect(kept).toMatchObject({ access_token: '', refresh_token: 'rt-good-7777', client_id: 'acme-client', token_endpoint: 'https://id.acme.example/token' })
    expect(kept.expires_at).toBe(new Date(clock.now()).toISOString())
    expect(JSON.stringify(kept)).not.toMatch(/Injected|AT1/)
  })
})

describe('remote login', () => {
  const fixed = provider('acme', { ...ACME, redirect_uri: 'http://localhost:3000/callback' })

  it('round-trips requests and answers, and refuses damaged or foreign ones', () => {
    const request = { provider: 'acme', profile: 'p', authorize_url: 'https://id.acme.example/authorize?x=1', redirect_uri: 'http://localhost:3000/callback', state: 's' }
    expect(decodeRemoteRequest(` ${encodeRemoteRequest(request)}\n`)).toEqual(request)
    const answer = { state: 's', params: { code: 'c', state: 's' } }
    expect(decodeRemoteAnswer(encodeRemoteAnswer(answer))).toEqual(answer)
    expect(() => decodeRemoteRequest('garbage')).toThrow(InputError)
    expect(() => decodeRemoteAnswer('oauth-cli-answer:v1:!!!')).toThrow(/damaged/)
    const foreign = encodeRemoteRequest({ ...request, redirect_uri: 'https://evil.example/cb' })
    expect(() => decodeRemoteRequest(foreign)).toThrow(/not one this tool made/)
  })

  it('prints a command carrying no verifier or secret, then exchanges the pasted answer', async () => {
    const http = tokenHttp()
    const events: LoginEvent[] = []
    const io = new BufferIO()
    io.readLine = async () => {
      const command = events.find((e) => e.type === 'remote_command')
      const request = decodeRemoteRequest((command as { command: string }).command.split("'")[1]!)
      return encodeRemoteAnswer({ state: request.state, params: { code: 'remote-code', state: request.state } })
    }
    const secretive = provider('acme', { ...ACME, redirect_uri: 'http://localhost:3000/callback' }, { ACME_CLIENT_SECRET: 'very-secret-value' })
    const deps = makeTestDeps({ http, io })
    const result = await remoteLogin(secretive, options, deps, (e) => events.push(e))
    expect(result.tokens.access_token).toBe('at-1')
    const body = new URLSearchParams(http.calls[0]!.body)
    expect(body.get('code')).toBe('remote-code')
    const verifier = body.get('code_verifier') as string
    const command = (events.find((e) => e.type === 'remote_command') as { command: string }).command
    const decoded = JSON.stringify(decodeRemoteRequest(command.split("'")[1]!))
    expect(decoded).not.toContain(verifier)
    expect(decoded).not.toContain('very-secret-value')
  })

  it('refuses an answer for another login (wrong state) without exchanging', async () => {
    const http = tokenHttp()
    const io = new BufferIO({ lines: [encodeRemoteAnswer({ state: 'other', params: { code: 'c', state: 'other' } })] })
    const error = await remoteLogin(fixed, options, makeTestDeps({ http, io }), () => {}).catch((e: unknown) => e)
    expect((error as ProtocolError).code).toBe('state_mismatch')
    expect(http.calls).toHaveLength(0)
  })

  it('needs a fixed loopback port', async () => {
    await expect(remoteLogin(acme, options, makeTestDeps(), () => {})).rejects.toThrow(/fixed port/)
  })

  it('catches the redirect on the browser machine and answers with its parameters', async () => {
    const loop = scriptedLoopback()
    const browser = new RecordingBrowser(async () => {
      queueMicrotask(() => loop.deliver(new URLSearchParams({ code: 'b-code', state: 's-9' })))
      return { opened: true, via: 'test' }
    })
    const request = { provider: 'acme', profile: 'default', authorize_url: 'https://id.acme.example/authorize?state=s-9', redirect_uri: 'http://localhost:3000/callback', state: 's-9' }
    const answer = await authorizeForRemote(request, { noBrowser: false, timeoutSeconds: 60 }, makeTestDeps({ browser, listen: loop.listen }), () => {})
    expect(decodeRemoteAnswer(answer)).toEqual({ state: 's-9', params: { code: 'b-code', state: 's-9' } })
    expect(loop.started[0]!.expectedState).toBe('s-9')
    expect(browser.opened).toEqual([request.authorize_url])
  })
})
