/**
 * Checks the e2e support code itself (fake provider, $BROWSER script, harness),
 * so a failing CLI test points at the CLI, not at the scaffolding.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeProvider, type FakeProvider } from '../support/fake-provider'
import { BROWSER_FOLLOW, runCli, spawnCli } from '../support/run-cli'
import { makeTempHome } from '../support/temp-home'
import { createWorld } from './world'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function provider(opts: Parameters<typeof startFakeProvider>[0] = {}): Promise<FakeProvider> {
  const fp = await startFakeProvider(opts)
  cleanups.push(() => fp.close())
  return fp
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

async function authorize(fp: FakeProvider, redirectUri: string, extra: Record<string, string> = {}): Promise<URL> {
  const { challenge } = pkce()
  const url = new URL(`${fp.url}/authorize`)
  const params = { response_type: 'code', client_id: fp.clientId, redirect_uri: redirectUri, state: 's1', code_challenge: challenge, code_challenge_method: 'S256', ...extra }
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  const res = await fetch(url, { redirect: 'manual' })
  expect(res.status).toBe(302)
  return new URL(res.headers.get('location')!)
}

function basic(fp: FakeProvider): string {
  return `Basic ${Buffer.from(`${fp.clientId}:${fp.clientSecret}`).toString('base64')}`
}

async function token(fp: FakeProvider, params: Record<string, string>, auth = basic(fp)): Promise<Response> {
  return fetch(`${fp.url}/token`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  })
}

async function codeAndTokens(fp: FakeProvider): Promise<Record<string, unknown>> {
  const { verifier, challenge } = pkce()
  const redirectUri = 'http://127.0.0.1:5555/cb?keep=1'
  const location = await authorize(fp, redirectUri, { code_challenge: challenge })
  const res = await token(fp, { grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: verifier })
  expect(res.status).toBe(200)
  return (await res.json()) as Record<string, unknown>
}

describe('fake provider', () => {
  it('redirects an approved authorization to the redirect_uri keeping its query, with code and state', async () => {
    const fp = await provider()
    const location = await authorize(fp, 'http://127.0.0.1:5555/cb?keep=1')
    expect(location.origin + location.pathname).toBe('http://127.0.0.1:5555/cb')
    expect(location.searchParams.get('keep')).toBe('1')
    expect(location.searchParams.get('state')).toBe('s1')
    expect(location.searchParams.get('code')).toBeTruthy()
  })

  it('redirects a denied authorization with error=access_denied and the state', async () => {
    const fp = await provider({ authorizeDecision: 'deny' })
    const location = await authorize(fp, 'https://example.com/cb')
    expect(location.searchParams.get('error')).toBe('access_denied')
    expect(location.searchParams.get('state')).toBe('s1')
    expect(location.searchParams.has('code')).toBe(false)
  })

  it('refuses a non-loopback http redirect_uri without redirecting', async () => {
    const fp = await provider()
    const res = await fetch(`${fp.url}/authorize?response_type=code&client_id=test-client&redirect_uri=http%3A%2F%2Fevil.example%2Fcb`, { redirect: 'manual' })
    expect(res.status).toBe(400)
  })

  it('exchanges a code once with PKCE and client_secret_basic, with scopes joined and extras added', async () => {
    const fp = await provider({ scopeSeparator: ',', tokenPrefix: 'dal:', extraTokenFields: { organization_id: 'org-1' } })
    const body = await codeAndTokens(fp)
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read,write', organization_id: 'org-1' })
    expect(String(body.access_token)).toMatch(/^dal:/)
    expect(fp.issuedAccessTokens()).toEqual([body.access_token])
  })

  it('rejects a wrong code_verifier and a replayed code with invalid_grant', async () => {
    const fp = await provider()
    const location = await authorize(fp, 'http://127.0.0.1:1/cb')
    const code = location.searchParams.get('code')!
    const wrong = await token(fp, { grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:1/cb', code_verifier: pkce().verifier })
    expect(wrong.status).toBe(400)
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' })
    const replay = await token(fp, { grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:1/cb', code_verifier: pkce().verifier })
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' })
  })

  it('answers 401 invalid_client when client authentication is missing or wrong', async () => {
    const fp = await provider()
    const res = await token(fp, { grant_type: 'refresh_token', refresh_token: 'x' }, 'Basic dGVzdC1jbGllbnQ6bm9wZQ==')
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ error: 'invalid_client' })
  })

  it('rotates refresh tokens and revokes the grant when a rotated one is reused', async () => {
    const fp = await provider()
    const first = await codeAndTokens(fp)
    const rt1 = String(first.refresh_token)
    const second = (await (await token(fp, { grant_type: 'refresh_token', refresh_token: rt1 })).json()) as Record<string, unknown>
    const rt2 = String(second.refresh_token)
    expect(rt2).not.toBe(rt1)
    expect(fp.isTokenActive(rt1)).toBe(false)
    expect(fp.isTokenActive(rt2)).toBe(true)
    const reuse = await token(fp, { grant_type: 'refresh_token', refresh_token: rt1 })
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' })
    expect(fp.isTokenActive(rt2)).toBe(false)
    expect(fp.isTokenActive(String(second.access_token))).toBe(false)
  })

  it('serves the API to a valid bearer, echoing the request without the authorization header', async () => {
    const fp = await provider()
    const { access_token } = await codeAndTokens(fp)
    const res = await fetch(`${fp.url}/api/things?a=1`, { method: 'PUT', headers: { authorization: `Bearer ${String(access_token)}`, 'x-foo': 'bar' }, body: 'hi' })
    expect(res.status).toBe(200)
    const echo = (await res.json()) as Record<string, any>
    expect(echo).toMatchObject({ method: 'PUT', path: '/api/things', query: { a: '1' }, body: 'hi' })
    expect(echo.headers['x-foo']).toBe('bar')
    expect(echo.headers.authorization).toBeUndefined()
    fp.expireAllAccessTokens()
    const expired = await fetch(`${fp.url}/api/things`, { headers: { authorization: `Bearer ${String(access_token)}` } })
    expect(expired.status).toBe(401)
    expect(expired.headers.get('www-authenticate')).toMatch(/invalid_token/)
  })

  it('accepts registered static credentials in their documented shapes', async () => {
    const fp = await provider()
    fp.addStaticCredential('basic', 'acct:pat')
    fp.addStaticCredential('raw', 'ls-token')
    fp.addStaticCredential('header_pair', 'ci_x:cs_y')
    const get = (headers: Record<string, string>) => fetch(`${fp.url}/api/x`, { headers }).then((r) => r.status)
    expect(await get({ authorization: `Basic ${Buffer.from('acct:pat').toString('base64')}` })).toBe(200)
    expect(await get({ authorization: 'ls-token' })).toBe(200)
    expect(await get({ authorization: 'Bearer ls-token' })).toBe(401)
    expect(await get({ 'x-tidio-openapi-client-id': 'ci_x', 'x-tidio-openapi-client-secret': 'cs_y' })).toBe(200)
    expect(await get({ 'x-tidio-openapi-client-id': 'ci_x', 'x-tidio-openapi-client-secret': 'nope' })).toBe(401)
  })

  it('revokes with DELETE /v2/token and Bearer, and answers 404 to an unknown token', async () => {
    const fp = await provider()
    const { access_token, refresh_token } = await codeAndTokens(fp)
    const del = (t: string) => fetch(`${fp.url}/v2/token`, { method: 'DELETE', headers: { authorization: `Bearer ${t}` } })
    expect((await del(String(access_token))).status).toBe(200)
    expect(fp.isTokenActive(String(refresh_token))).toBe(false)
    expect((await del('unknown')).status).toBe(404)
  })

  it('applies an injected token fault to the next token request only', async () => {
    const fp = await provider()
    fp.injectTokenFault({ status: 502, body: '<html>bad gateway</html>' })
    const faulted = await token(fp, { grant_type: 'refresh_token', refresh_token: 'x' })
    expect(faulted.status).toBe(502)
    expect((await token(fp, { grant_type: 'refresh_token', refresh_token: 'x' })).status).toBe(400)
    fp.injectTokenFault('reset')
    await expect(token(fp, { grant_type: 'refresh_token', refresh_token: 'x' })).rejects.toThrow()
  })

  it('runs the device flow: pending until decided, then tokens', async () => {
    const fp = await provider()
    const auth = await fetch(`${fp.url}/device`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=test-client' })
    const { device_code } = (await auth.json()) as { device_code: string }
    const poll = () => token(fp, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code }).then((r) => r.json())
    expect(await poll()).toMatchObject({ error: 'authorization_pending' })
    expect(fp.decidePendingDevices()).toBe(1)
    expect(await poll()).toMatchObject({ token_type: 'Bearer' })
  })
})

describe('browser-follow.mjs', () => {
  it('follows the authorize redirect to the callback and waits for its held response', async () => {
    const fp = await provider()
    const home = makeTempHome()
    cleanups.push(() => home.cleanup())
    let release!: () => void
    const hits: string[] = []
    const callback: Server = createServer((req, res) => {
      hits.push(new URL(req.url!, 'http://x').searchParams.get('state') ?? '')
      if (hits.length === 1) return void res.writeHead(400).end()
      release = () => res.end('done')
      setImmediate(() => release())
    })
    await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r))
    cleanups.push(() => new Promise((r) => callback.close(r)))
    const port = (callback.address() as AddressInfo).port
    const url = `${fp.url}/authorize?response_type=code&client_id=test-client&redirect_uri=${encodeURIComponent(`http://127.0.0.1:${port}/cb`)}&state=good&code_challenge=${pkce().challenge}&code_challenge_method=S256`
    const log = `${home.home}/follow.log`
    const run = await runCli(['--wrong-state-first', '--log', log, url], { env: home.env, entry: BROWSER_FOLLOW, timeoutMs: 10_000 })
    expect(run.exitCode).toBe(0)
    expect(hits).toEqual(['not-the-right-state', 'good'])
    const { readFileSync } = await import('node:fs')
    const text = readFileSync(log, 'utf8')
    expect(text).toMatch(/wrong-state 400/)
    expect(text).toMatch(/callback 200/)
    expect(text).not.toMatch(/good|code=/)
  })
})

describe('run-cli harness', () => {
  it('passes only the given env plus PATH and captures stdout, stderr and exit code apart', async () => {
    const home = makeTempHome()
    cleanups.push(() => home.cleanup())
    const script = home.writeExecutable('probe.mjs', [
      'process.stdout.write(JSON.stringify(Object.keys(process.env).sort()))',
      'process.stderr.write("to stderr")',
      'let input = ""; process.stdin.on("data", (c) => (input += c)); process.stdin.on("end", () => { process.stderr.write(" stdin=" + input); process.exitCode = 3 })',
    ].join('\n'))
    const run = await runCli([], { env: { ONLY: '1' }, stdin: 'hello', entry: script })
    expect(run.exitCode).toBe(3)
    expect(JSON.parse(run.stdout)).toEqual(['ONLY', 'PATH'])
    expect(run.stderr).toBe('to stderr stdin=hello')
  })

  it('kills a run that outlives its timeout and reports what it printed', async () => {
    const home = makeTempHome()
    cleanups.push(() => home.cleanup())
    const script = home.writeExecutable('hang.mjs', 'process.stderr.write("still here\\n"); setInterval(() => {}, 1000)')
    const cli = spawnCli([], { env: {}, entry: script, timeoutMs: 500, keepStdinOpen: true })
    await expect(cli.waitForStderr(/still here/, 5000)).resolves.toBeTruthy()
    await expect(cli.exited).rejects.toThrow(/timed out after 500 ms[\s\S]*still here/)
  })
})

/** Whether a process with that pid still exists (signal 0 only checks). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('a world left with a running CLI (a test that failed before stopping it)', () => {
  it('stops a sandbox CLI still serving when the world closes, within a bound', async () => {
    const world = await createWorld()
    const cli = world.spawn(['sandbox', '--port', '0'], { timeoutMs: 60_000, keepStdinOpen: true })
    cleanups.push(() => cli.stop(0))
    await cli.waitForStderr(/Press Ctrl\+C to stop/)
    const pid = cli.child.pid!
    await world.close()
    expect(isAlive(pid)).toBe(false)
  })

  it('stop() escalates to SIGKILL for a CLI that ignores SIGTERM', async () => {
    const home = makeTempHome()
    cleanups.push(() => home.cleanup())
    const script = home.writeExecutable('stubborn.mjs', 'process.on("SIGTERM", () => {}); process.stderr.write("up\\n"); setInterval(() => {}, 1000)')
    const cli = spawnCli([], { env: {}, entry: script, timeoutMs: 60_000, keepStdinOpen: true })
    await cli.waitForStderr(/up/)
    await cli.stop(200)
    expect(isAlive(cli.child.pid!)).toBe(false)
  })
})
