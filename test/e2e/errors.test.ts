import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect } from 'vitest'
import { it, SUITE, expectExit, grantTypes, loginAcme, statusJson } from './world'

describe('usage and configuration errors exit 2', SUITE, () => {
  it('lists the known providers for an unknown one', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['login', 'nosuchprovider'])
    expectExit(run, 2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/nosuchprovider/)
    for (const name of ['livechat', 'livestorm', 'tidio']) expect(run.stderr).toContain(name)
  })

  it('names the config file and a line:column for malformed JSON', async ({ makeWorld }) => {
    const world = await makeWorld()
    const path = world.home.writeConfig('{\n  "providers": {\n    "acme": { "client_id": "x", }\n  }\n}\n')
    const run = await world.cli(['login', 'acme'])
    expectExit(run, 2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(path)
    expect(run.stderr).toMatch(/\b\d+:\d+\b/)
    expect(world.fp.requests).toHaveLength(0)
  })

  it('names ACME_CLIENT_ID and --client-id when no client id is configured', async ({ makeWorld }) => {
    const world = await makeWorld({ acme: { client_id: undefined } })
    const run = await world.cli(['login', 'acme'])
    expectExit(run, 2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('ACME_CLIENT_ID')
    expect(run.stderr).toContain('--client-id')
    expect(world.fp.requests).toHaveLength(0)
  })

  it('takes the client id from ACME_CLIENT_ID when the config has none', async ({ makeWorld }) => {
    const world = await makeWorld({ acme: { client_id: undefined } })
    const run = await world.cli(['login', 'acme'], { env: { ACME_CLIENT_ID: 'test-client' } })
    expectExit(run, 0)
  })

  it('names the port and --port when the callback port is taken', async ({ makeWorld, onTestFinished }) => {
    const world = await makeWorld()
    const squatter = createServer()
    onTestFinished(() => new Promise<void>((r) => squatter.close(() => r())))
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r))
    const { port } = squatter.address() as AddressInfo
    const run = await world.cli(['login', 'acme', '--port', String(port)], { env: { BROWSER: world.noopBrowser() } })
    expectExit(run, 2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(String(port))
    expect(run.stderr).toContain('--port')
    expect(world.fp.requests.filter((r) => r.path === '/authorize' || r.path === '/token')).toHaveLength(0)
  })

  it('rejects a plain http endpoint on a non-loopback host', async ({ makeWorld }) => {
    const world = await makeWorld({ acme: { token_endpoint: 'http://tokens.example.com/token' } })
    const run = await world.cli(['login', 'acme'])
    expectExit(run, 2)
    expect(run.stderr).toMatch(/https/)
    expect(world.fp.requests).toHaveLength(0)
  })

  it('refuses a proxy variable that names no proxy before anything is sent, naming the variable and never its password', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const sent = world.fp.requests.length
    for (const argv of [['call', 'acme', '/things'], ['refresh', 'acme']]) {
      const run = await world.cli(argv, { env: { HTTP_PROXY: 'http://ci:hunter2-secret@[proxy' } })
      expectExit(run, 2)
      expect(run.stdout).toBe('')
      expect(run.stderr).toContain('HTTP_PROXY is not the URL of a proxy')
      expect(run.stderr).not.toContain('hunter2')
    }
    expect(world.fp.requests).toHaveLength(sent)
  })

  // Node's timers hold at most 2^31 - 1 ms (~24.8 days); a longer one fires at once, with a warning per timer.
  it.for(
    [
      ['login', 'acme', '--timeout', '3000000'],
      ['call', 'acme', '/things', '--request-timeout', '3000000'],
    ].map((argv) => ({ argv, command: argv.join(' ') })),
  )('refuses $command, a wait longer than a timer can hold, before anything is sent (exit 2)', async ({ argv }, { makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const sent = world.fp.requests.length
    const run = await world.cli(argv, { env: { BROWSER: world.noopBrowser() } })
    expectExit(run, 2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(`argument '3000000' is invalid: expected a whole number of seconds from 1 to 2147483`)
    expect(run.stderr).not.toMatch(/TimeoutOverflowWarning/)
    expect(world.fp.requests).toHaveLength(sent)
  })
})

describe('authorization refused exits 1', SUITE, () => {
  it('reports access_denied and stores nothing', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { authorizeDecision: 'deny' } })
    const run = await world.cli(['login', 'acme'])
    expectExit(run, 1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/access_denied|denied/i)
    expect(grantTypes(world.fp)).toEqual([])
    expect(await statusJson(world)).toEqual([])
  })

  it('keeps the previous credentials intact when a new login is denied', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const before = await statusJson(world)
    const tokenBefore = await world.cli(['token', 'acme'])
    world.fp.setDecision('deny')
    const run = await world.cli(['login', 'acme'])
    expectExit(run, 1)
    expect(await statusJson(world)).toEqual(before)
    const tokenAfter = await world.cli(['token', 'acme'])
    expectExit(tokenAfter, 0)
    expect(tokenAfter.stdout).toBe(tokenBefore.stdout)
  })

})

describe('network failures and timeouts exit 5', SUITE, () => {
  it('times out a login the user never completes, saying so', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['login', 'acme', '--timeout', '1'], { env: { BROWSER: world.noopBrowser() } })
    expectExit(run, 5)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/time(d)?[ -]?out/i)
    expect(await statusJson(world)).toEqual([])
  })

  it('fails a login whose token endpoint answers 502 with HTML, without echoing the page', async ({ makeWorld }) => {
    const world = await makeWorld()
    world.fp.injectTokenFault({ status: 502, body: '<html>bad gateway</html>', headers: { 'content-type': 'text/html' } })
    const run = await world.cli(['login', 'acme'])
    expectExit(run, [1, 5])
    expect(run.stdout).toBe('')
    expect(run.stderr).not.toContain('<html>bad gateway</html>')
    expect(await statusJson(world)).toEqual([])
  })

  it('fails a login whose token endpoint hangs up, and stores nothing', async ({ makeWorld }) => {
    const world = await makeWorld()
    world.fp.injectTokenFault('reset')
    const run = await world.cli(['login', 'acme'])
    expectExit(run, 5)
    expect(run.stdout).toBe('')
    expect(await statusJson(world)).toEqual([])
  })
})

describe('token endpoint errors during login', SUITE, () => {
  it('fails the login naming invalid_client when the client secret is wrong, without echoing the secret', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['login', 'acme'], { env: { ACME_CLIENT_SECRET: 'wrong-secret' } })
    expectExit(run, [1, 2, 3])
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/invalid_client/)
    expect(run.stderr).not.toContain('wrong-secret')
    expect(await statusJson(world)).toEqual([])
  })
})

describe('redaction leaves prose whole', SUITE, () => {
  it('says which token_type a refresh answered, and that only Bearer is supported', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    world.fp.injectTokenFault({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ access_token: 'mac-token-4f3e2d1c', token_type: 'mac' }),
    })
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 1)
    expect(run.stderr).toContain('refresh response has token_type "mac"; only Bearer is supported')
    expect(run.stderr).not.toContain('mac-token-4f3e2d1c')
  })
})
