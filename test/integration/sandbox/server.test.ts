/**
 * The sandbox over real HTTP on 127.0.0.1 (port 0), driven with plain fetch the
 * way a browser and a client would. Time is injected, so expiry needs no waiting.
 */
import { createHash, randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ListenError } from '../../../src/oauth/callback-server'
import { SANDBOX_CONFIDENTIAL_CLIENT } from '../../../src/sandbox/provider'
import { SANDBOX_CLIENT_ID, startSandbox, type Sandbox, type SandboxOptions } from '../../../src/sandbox/server'

const REDIRECT = 'http://127.0.0.1:5123/callback'
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

let now: number
let sandbox: Sandbox

async function start(options: SandboxOptions = {}): Promise<Sandbox> {
  await sandbox?.close()
  sandbox = await startSandbox({ port: 0, now: () => now, ...options })
  return sandbox
}

beforeEach(async () => {
  now = Date.parse('2026-01-01T00:00:00Z')
  await start()
})

afterEach(async () => {
  await sandbox.close()
})

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

function authorizeUrl(params: Record<string, string>): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: SANDBOX_CLIENT_ID,
    redirect_uri: REDIRECT,
    state: 'state-1',
    code_challenge_method: 'S256',
    ...params,
  })
  return `${sandbox.url}/authorize?${query}`
}

function postForm(path: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
    redirect: 'manual',
  })
}

function consentIdOf(html: string): string {
  const id = /name="consent_id" value="([^"]+)"/.exec(html)?.[1]
  if (!id) throw new Error('the page has no consent_id')
  return id
}

/** Opens the consent page and answers it; returns the redirect's query. */
async function answerConsent(decision: 'allow' | 'deny', challenge: string, scope?: string): Promise<URLSearchParams> {
  const page = await fetch(authorizeUrl({ code_challenge: challenge, ...(scope ? { scope } : {}) }))
  expect(page.status).toBe(200)
  const answer = await postForm('/authorize/decision', { consent_id: consentIdOf(await page.text()), decision })
  expect(answer.status).toBe(303)
  const location = new URL(answer.headers.get('location') ?? '')
  expect(location.origin + location.pathname).toBe(REDIRECT)
  return location.searchParams
}

async function tokenRequest(params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown>; res: Response }> {
  const res = await postForm('/token', { client_id: SANDBOX_CLIENT_ID, ...params })
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, res }
}

interface Tokens {
  access_token: string
  refresh_token: string
  scope: string
}

async function login(scope?: string): Promise<Tokens> {
  const { verifier, challenge } = pkcePair()
  const code = (await answerConsent('allow', challenge, scope)).get('code') ?? ''
  const { status, body } = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier })
  expect(status).toBe(200)
  return body as unknown as Tokens
}

function api(path: string, token?: string): Promise<Response> {
  return fetch(`${sandbox.url}/api${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
}

describe('discovery', () => {
  it('serves RFC 8414 metadata whose endpoints are on the sandbox', async () => {
    const res = await fetch(`${sandbox.url}/.well-known/oauth-authorization-server`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      issuer: sandbox.url,
      authorization_endpoint: `${sandbox.url}/authorize`,
      token_endpoint: `${sandbox.url}/token`,
      revocation_endpoint: `${sandbox.url}/revoke`,
      device_authorization_endpoint: `${sandbox.url}/device_authorization`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_GRANT],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      scopes_supported: ['profile', 'items:read', 'offline_access'],
    })
    expect((await fetch(`${sandbox.url}/.well-known/openid-configuration`)).status).toBe(404)
  })
})

describe('authorization code with PKCE', () => {
  it('shows a consent page with Allow and Deny, then redirects a code with state and iss', async () => {
    const { challenge } = pkcePair()
    const page = await fetch(authorizeUrl({ code_challenge: challenge }))
    const html = await page.text()
    expect(html).toContain('>Allow</button>')
    expect(html).toContain('>Deny</button>')
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:5123")
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    const answer = await postForm('/authorize/decision', { consent_id: consentIdOf(html), decision: 'allow' })
    const params = new URL(answer.headers.get('location') ?? '').searchParams
    expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(params.get('state')).toBe('state-1')
    expect(params.get('iss')).toBe(sandbox.url)
  })

  it('redirects access_denied with the state when the user denies', async () => {
    const params = await answerConsent('deny', pkcePair().challenge)
    expect(params.get('error')).toBe('access_denied')
    expect(params.get('state')).toBe('state-1')
    expect(params.has('code')).toBe(false)
  })

  it('never redirects to an unregistered redirect_uri', async () => {
    const res = await fetch(authorizeUrl({ code_challenge: pkcePair().challenge, redirect_uri: 'https://attacker.example/cb' }), { redirect: 'manual' })
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
    expect(await res.text()).toContain('only redirects to http loopback addresses')
  })

  it('redirects invalid_request when PKCE is missing', async () => {
    const res = await fetch(authorizeUrl({}), { redirect: 'manual' })
    expect(res.status).toBe(302)
    const params = new URL(res.headers.get('location') ?? '').searchParams
    expect(params.get('error')).toBe('invalid_request')
    expect(params.get('state')).toBe('state-1')
  })

  it('accepts a consent answer once, and only from its own origin', async () => {
    const page = await fetch(authorizeUrl({ code_challenge: pkcePair().challenge }))
    const consent_id = consentIdOf(await page.text())
    const forged = await postForm('/authorize/decision', { consent_id, decision: 'allow' }, { origin: 'http://attacker.example' })
    expect(forged.status).toBe(403)
    expect((await postForm('/authorize/decision', { consent_id, decision: 'allow' })).status).toBe(303)
    const replay = await postForm('/authorize/decision', { consent_id, decision: 'allow' })
    expect(replay.status).toBe(400)
    expect(replay.headers.get('location')).toBeNull()
  })

  it('exchanges the code for tokens once; a wrong verifier gets invalid_grant', async () => {
    const { verifier, challenge } = pkcePair()
    const code = (await answerConsent('allow', challenge)).get('code') ?? ''
    const wrong = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkcePair().verifier })
    expect(wrong.status).toBe(400)
    expect(wrong.body).toEqual({ error: 'invalid_grant', error_description: expect.stringContaining('PKCE') })
    expect(wrong.res.headers.get('cache-control')).toBe('no-store')

    const code2 = (await answerConsent('allow', challenge)).get('code') ?? ''
    const ok = await tokenRequest({ grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT, code_verifier: verifier })
    expect(ok.status).toBe(200)
    expect(ok.res.headers.get('cache-control')).toBe('no-store')
    expect(ok.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 600,
      refresh_token: expect.any(String),
      scope: 'profile items:read offline_access',
    })
    const again = await tokenRequest({ grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT, code_verifier: verifier })
    expect(again.body.error).toBe('invalid_grant')
  })

  it('accepts a JSON token request and a confidential client with HTTP Basic', async () => {
    const { verifier, challenge } = pkcePair()
    const query = { code_challenge: challenge, client_id: SANDBOX_CONFIDENTIAL_CLIENT.client_id }
    const page = await fetch(authorizeUrl(query))
    const answer = await postForm('/authorize/decision', { consent_id: consentIdOf(await page.text()), decision: 'allow' })
    const code = new URL(answer.headers.get('location') ?? '').searchParams.get('code') ?? ''
    const { client_id, client_secret } = SANDBOX_CONFIDENTIAL_CLIENT
    const res = await fetch(`${sandbox.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${client_id}:${client_secret}`)}` },
      body: JSON.stringify({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }),
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ token_type: 'Bearer' })
  })

  it('answers invalid_client with 401 and a challenge for a wrong secret', async () => {
    const res = await postForm('/token', {
      grant_type: 'refresh_token',
      refresh_token: 'x',
      client_id: SANDBOX_CONFIDENTIAL_CLIENT.client_id,
      client_secret: 'wrong',
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /)
    expect(await res.json()).toMatchObject({ error: 'invalid_client' })
  })

  it('answers unsupported_grant_type and invalid_request as RFC 6749 §5.2 bodies', async () => {
    expect((await tokenRequest({ grant_type: 'password' })).body.error).toBe('unsupported_grant_type')
    expect((await tokenRequest({ grant_type: 'authorization_code', code: 'x' })).body).toEqual({
      error: 'invalid_request',
      error_description: 'missing redirect_uri, code_verifier',
    })
  })
})

describe('refresh tokens', () => {
  it('rotates on every refresh, and a reused one revokes the whole grant', async () => {
    const first = await login()
    const second = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token })
    expect(second.status).toBe(200)
    const rotated = second.body as unknown as Tokens
    expect(rotated.refresh_token).not.toBe(first.refresh_token)
    expect((await api('/me', rotated.access_token)).status).toBe(200)

    const reuse = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token })
    expect(reuse.status).toBe(400)
    expect(reuse.body.error).toBe('invalid_grant')
    expect((await api('/me', rotated.access_token)).status).toBe(401)
    expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: rotated.refresh_token })).body.error).toBe('invalid_grant')
    expect(sandbox.stats()).toEqual({ tokensIssued: 2, refreshes: 1, reuseDetected: 1 })
  })
})

describe('revocation (RFC 7009)', () => {
  it('revokes the grant with its refresh token, and answers 200 for unknown tokens', async () => {
    const tokens = await login()
    const res = await postForm('/revoke', { client_id: SANDBOX_CLIENT_ID, token: tokens.refresh_token, token_type_hint: 'refresh_token' })
    expect(res.status).toBe(200)
    expect((await api('/me', tokens.access_token)).status).toBe(401)
    expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).body.error).toBe('invalid_grant')
    expect((await postForm('/revoke', { client_id: SANDBOX_CLIENT_ID, token: 'never-issued' })).status).toBe(200)
  })

  it('revokes an access token alone', async () => {
    const tokens = await login()
    await postForm('/revoke', { client_id: SANDBOX_CLIENT_ID, token: tokens.access_token })
    expect((await api('/me', tokens.access_token)).status).toBe(401)
    expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status).toBe(200)
  })
})

describe('device authorization (RFC 8628)', () => {
  async function startDevice(): Promise<{ device_code: string; user_code: string; verification_uri: string; verification_uri_complete: string; interval: number; expires_in: number }> {
    const res = await postForm('/device_authorization', { client_id: SANDBOX_CLIENT_ID, scope: 'profile' })
    expect(res.status).toBe(200)
    return (await res.json()) as Awaited<ReturnType<typeof startDevice>>
  }

  const poll = (device_code: string) => tokenRequest({ grant_type: DEVICE_GRANT, device_code })

  /** Types the code into the verification page's form, then presses a button. */
  async function decideOnPage(userCode: string, decision: 'allow' | 'deny'): Promise<string> {
    const form = await (await fetch(`${sandbox.url}/device`)).text()
    expect(form).toMatch(/<label for="user_code">/)
    const confirm = await fetch(`${sandbox.url}/device?${new URLSearchParams({ user_code: userCode.toLowerCase() })}`)
    expect(confirm.status).toBe(200)
    const html = await confirm.text()
    expect(html).toContain(userCode)
    const answer = await postForm('/device/decision', { consent_id: consentIdOf(html), decision })
    expect(answer.status).toBe(200)
    return answer.text()
  }

  it('answers pending, then slow_down, then tokens once the user allows on the page', async () => {
    const device = await startDevice()
    expect(device).toMatchObject({
      user_code: expect.stringMatching(/^[A-Z]{4}-[A-Z]{4}$/),
      verification_uri: `${sandbox.url}/device`,
      verification_uri_complete: `${sandbox.url}/device?user_code=${device.user_code}`,
      expires_in: 600,
      interval: 5,
    })
    expect((await poll(device.device_code)).body.error).toBe('authorization_pending')
    now += 1000
    expect((await poll(device.device_code)).body.error).toBe('slow_down')
    expect(await decideOnPage(device.user_code, 'allow')).toContain('Device connected')
    now += 10_000
    const tokens = await poll(device.device_code)
    expect(tokens.status).toBe(200)
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', scope: 'profile' })
    expect((await api('/me', tokens.body.access_token as string)).status).toBe(200)
  })

  it('answers access_denied when the user denies', async () => {
    const device = await startDevice()
    expect(await decideOnPage(device.user_code, 'deny')).toContain('Request denied')
    expect((await poll(device.device_code)).body.error).toBe('access_denied')
  })

  it('answers expired_token after expires_in, and the page no longer knows the code', async () => {
    const device = await startDevice()
    now += device.expires_in * 1000
    expect((await poll(device.device_code)).body.error).toBe('expired_token')
    const page = await fetch(`${sandbox.url}/device?user_code=${device.user_code}`)
    expect(page.status).toBe(400)
    expect(await page.text()).toContain('not valid, has expired')
  })
})

describe('the protected API', () => {
  it('wants a Bearer token: none, expired or revoked gets 401', async () => {
    const missing = await api('/me')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="oauth-cli sandbox"')

    const tokens = await login()
    expect(await (await api('/me', tokens.access_token)).json()).toEqual({
      id: 'sandbox-user-1',
      name: 'Sandbox User',
      email: 'sandbox.user@example.com',
      scope: 'profile items:read offline_access',
    })
    now += 600_000
    const expired = await api('/me', tokens.access_token)
    expect(expired.status).toBe(401)
    expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"')
    expect(await expired.json()).toEqual({ error: 'invalid_token', error_description: 'the access token has expired' })

    const fresh = await login()
    await postForm('/revoke', { client_id: SANDBOX_CLIENT_ID, token: fresh.access_token })
    const revoked = await api('/me', fresh.access_token)
    expect(revoked.status).toBe(401)
    expect(revoked.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('pages /items JSON:API style and refuses a page that does not exist', async () => {
    const { access_token } = await login()
    const first = await api('/items', access_token)
    const body = (await first.json()) as { data: Array<{ id: string }>; meta: Record<string, unknown> }
    expect(body.data).toHaveLength(20)
    expect(body.meta).toEqual({ current_page: 0, previous_page: null, next_page: 1, page_count: 6, record_count: 120, items_per_page: 20 })
    const last = (await (await api('/items?page[number]=2&page[size]=50', access_token)).json()) as typeof body
    expect(last.data.map((item) => item.id)).toEqual(Array.from({ length: 20 }, (_, i) => `item-${101 + i}`))
    expect(last.meta.next_page).toBeNull()
    const beyond = await api('/items?page[number]=3&page[size]=50', access_token)
    expect(beyond.status).toBe(400)
    expect(await beyond.json()).toMatchObject({ errors: [{ status: '400' }] })
    expect((await api('/items?page[size]=51', access_token)).status).toBe(400)
  })

  it('answers 403 insufficient_scope for a token without the scope', async () => {
    const { access_token } = await login('profile')
    const res = await api('/items', access_token)
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="items:read"')
  })
})

describe('the server', () => {
  it('approves without a page when autoApprove is on', async () => {
    await start({ autoApprove: true })
    const res = await fetch(authorizeUrl({ code_challenge: pkcePair().challenge }), { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(new URL(res.headers.get('location') ?? '').searchParams.get('code')).toBeTruthy()
  })

  it('refuses a request whose Host is not a loopback name (DNS rebinding)', async () => {
    const { port } = new URL(sandbox.url)
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/.well-known/oauth-authorization-server', headers: { host: `rebind.example:${port}` } }, (res) => {
        res.resume()
        resolve(res.statusCode)
      })
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(421)
  })

  it('throws ListenError when its port is taken', async () => {
    const { port } = new URL(sandbox.url)
    await expect(startSandbox({ port: Number(port) })).rejects.toMatchObject({ constructor: ListenError, code: 'port_in_use' })
  })

  it('stops answering once closed', async () => {
    await fetch(`${sandbox.url}/`)
    await sandbox.close()
    await expect(fetch(`${sandbox.url}/`)).rejects.toThrow()
  })
})
