import { describe, expect } from 'vitest'
import {
  it, SUITE, expectExit, grantTypes, last, loginAcme, parseStdout, scopesOf, statusJson, tokenRequests,
  type CredentialSummary,
} from './world'

const SUMMARY_KEYS = ['expires_at', 'profile', 'provider', 'refreshable', 'scope', 'store', 'token_type']

describe('login with the browser flow', SUITE, () => {
  it('exchanges the code with PKCE at the provider, prints nothing on stdout and names the provider on stderr', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['login', 'acme'])
    expectExit(run, 0)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/acme/)
    const [exchange, ...others] = tokenRequests(world.fp)
    expect(others).toHaveLength(0)
    expect(exchange!.params.get('grant_type')).toBe('authorization_code')
    expect(exchange!.params.get('code_verifier')).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/)
    expect(exchange!.headers.authorization).toMatch(/^Basic /)
    const authorize = world.fp.requests.find((r) => r.path === '/authorize')!
    const query = new URL(authorize.url, world.fp.url).searchParams
    expect(query.get('code_challenge_method')).toBe('S256')
    expect(query.get('state')).toMatch(/\S{16,}/)
    expect(query.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*\/callback$/)
  })

  it('prints one summary object with --json and never a token', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['login', 'acme', '--json'])
    expectExit(run, 0)
    const summary = parseStdout<CredentialSummary>(run)
    // The same object as a status row and refresh --json: `default` included.
    expect(Object.keys(summary).sort()).toEqual([...SUMMARY_KEYS, 'default'].sort())
    expect(summary).toMatchObject({ provider: 'acme', profile: 'default', token_type: 'Bearer', refreshable: true, store: 'file', default: true })
    expect(scopesOf(summary).sort()).toEqual(['read', 'write'])
    const expiresIn = Date.parse(String(summary.expires_at)) - Date.now()
    expect(expiresIn).toBeGreaterThan(3500_000)
    expect(expiresIn).toBeLessThanOrEqual(3600_000)
    for (const secret of [...world.fp.issuedAccessTokens(), ...world.fp.issuedRefreshTokens()]) {
      expect(run.stdout).not.toContain(secret)
    }
    const work = await world.cli(['login', 'acme', '--profile', 'work', '--json'])
    expectExit(work, 0)
    expect(parseStdout<CredentialSummary & { default: boolean }>(work)).toMatchObject({ profile: 'work', default: false })
  })

  it('keeps separate credentials per --profile', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    await loginAcme(world, ['--profile', 'work'])
    const profiles = (await statusJson(world)).map((s) => `${s.provider}/${s.profile}`).sort()
    expect(profiles).toEqual(['acme/default', 'acme/work'])
    const tokens = await Promise.all(['default', 'work'].map((p) => world.cli(['token', 'acme', '--profile', p])))
    expect(tokens.map((t) => t.exitCode)).toEqual([0, 0])
    expect(tokens[0]!.stdout).not.toBe(tokens[1]!.stdout)
  })

  it('prints the URL alone on its line with --no-browser and still waits for the callback', async ({ makeWorld }) => {
    const world = await makeWorld()
    const browser = world.followBrowser()
    const cli = world.spawn(['login', 'acme', '--no-browser'], { env: { BROWSER: browser.path } })
    const [line] = await cli.waitForStderr(/^http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+$/m)
    const res = await fetch(line, { redirect: 'manual' })
    const callback = await fetch(res.headers.get('location')!)
    expect(callback.status).toBe(200)
    const run = await cli.exited
    expectExit(run, 0)
    expect(run.stdout).toBe('')
    expect(browser.log()).toBe('')
    expect(await statusJson(world)).toHaveLength(1)
  })

  it('refuses a callback with the wrong state and still completes with the right one', async ({ makeWorld }) => {
    const world = await makeWorld()
    const browser = world.followBrowser(['--wrong-state-first'])
    const run = await world.cli(['login', 'acme'], { env: { BROWSER: browser.path } })
    expectExit(run, 0)
    expect(browser.log()).toMatch(/wrong-state 400/)
    expect(browser.log()).toMatch(/callback 200/)
    expect(grantTypes(world.fp)).toEqual(['authorization_code'])
    expect(last(tokenRequests(world.fp)).params.get('code')).not.toBe('forged-code')
    expect(await statusJson(world)).toHaveLength(1)
  })

  it('logs in with the device flow on --device: shows the user code on stderr and stores tokens once approved', async ({ makeWorld }) => {
    const world = await makeWorld({ acme: (fp) => ({ device_authorization_endpoint: `${fp.url}/device` }) })
    const cli = world.spawn(['login', 'acme', '--device', '--no-browser'], { env: { BROWSER: world.noopBrowser() } })
    await world.fp.waitForRequest((r) => r.method === 'POST' && r.path === '/device', 10_000)
    const userCode = await cli.waitForStderr(/[B-Z]{4}-[B-Z]{4}/, 10_000)
    expect(userCode[0]).toMatch(/^[A-Z]{4}-[A-Z]{4}$/)
    expect(world.fp.decidePendingDevices()).toBe(1)
    const run = await cli.exited
    expectExit(run, 0)
    expect(run.stdout).toBe('')
    expect(grantTypes(world.fp).at(-1)).toBe('urn:ietf:params:oauth:grant-type:device_code')
    expect(await statusJson(world)).toHaveLength(1)
  })
})

describe('status', SUITE, () => {
  it('prints [] with --json when nothing is stored', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['status', '--json'])
    expectExit(run, 0)
    expect(JSON.parse(run.stdout)).toEqual([])
  })

  it('lists stored credentials with --json in the contract shape and without any secret', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli(['status', '--json'])
    expectExit(run, 0)
    const list = parseStdout<CredentialSummary[]>(run)
    expect(list).toHaveLength(1)
    // status adds whether the profile is the provider's default (`profile use`) to SPEC's shape.
    expect(Object.keys(list[0]!).sort()).toEqual([...SUMMARY_KEYS, 'default'].sort())
    expect(list[0]).toMatchObject({ provider: 'acme', profile: 'default', refreshable: true, store: 'file' })
    expect(new Date(String(list[0]!.expires_at)).toISOString()).toBe(list[0]!.expires_at)
    for (const secret of [...world.fp.issuedAccessTokens(), ...world.fp.issuedRefreshTokens(), world.fp.clientSecret]) {
      expect(run.stdout).not.toContain(secret)
      expect(run.stderr).not.toContain(secret)
    }
  })

  it('lists provider and profile in the human form', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli(['status'])
    expectExit(run, 0)
    expect(run.stdout).toMatch(/acme/)
    expect(run.stdout).toMatch(/default/)
    expect(run.stdout + run.stderr).not.toContain(world.fp.issuedAccessTokens()[0]!)
  })
})
