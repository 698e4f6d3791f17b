/**
 * What a newcomer who knows gh and curl trips over (issue 13), each on the
 * built CLI with a temp HOME: exit code, stdout and stderr.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { sandboxProviderConfig } from '../../src/sandbox/provider'
import type { FakeProvider } from '../support/fake-provider'
import { runCli, type CliRun } from '../support/run-cli'
import { it, SUITE, acmeEntry, apiRequests, expectExit, grantTypes, last, loginAcme, type World } from './world'

describe('the refresh skew', SUITE, () => {
  it('does not refresh a 60 s token on every use: the skew is half a short lifetime', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 60 } })
    await loginAcme(world)
    const issued = last(world.fp.issuedAccessTokens())
    for (const args of [['token', 'acme'], ['token', 'acme'], ['call', 'acme', '/me']]) {
      const run = await world.cli(args)
      expectExit(run, 0)
      expect(run.stderr).toBe('')
    }
    expect(grantTypes(world.fp)).toEqual(['authorization_code'])
    expect(last(world.fp.issuedAccessTokens())).toBe(issued)
  })

  it('token --min-ttl beyond the provider\'s lifetime suggests the real usable maximum, and that one works', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 60 } })
    await loginAcme(world)
    const tooLong = await world.cli(['token', 'acme', '--min-ttl', '1800'])
    expectExit(tooLong, 1)
    expect(tooLong.stdout).toBe('')
    expect(tooLong.stderr).toContain('acme issues access tokens that live 60 s, less than the 1800 s asked with --min-ttl')
    const suggested = /use --min-ttl (\d+) or less/.exec(tooLong.stderr)?.[1]
    expect(suggested).toBe('59')
    const ok = await world.cli(['token', 'acme', '--min-ttl', suggested!])
    expectExit(ok, 0)
    expect(ok.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
  })
})

/** `oauth-cli sandbox --port 0` as its own process; the `sandbox` provider pointed at it through the config file. */
async function startSandboxCli(world: World, extra: string[] = []): Promise<{ url: string; banner: string; stop(): Promise<CliRun> }> {
  const child = world.spawn(['sandbox', '--port', '0', ...extra], { timeoutMs: 60_000, keepStdinOpen: true })
  const url = (await child.waitForStderr(/running at (http:\/\/127\.0\.0\.1:\d+)/))[1]!
  await child.waitForStderr(/Press Ctrl\+C to stop/)
  world.home.writeConfig({ providers: { acme: acmeEntry(world.fp), sandbox: sandboxProviderConfig(url) } })
  return {
    url,
    banner: child.stderr(),
    stop: async () => {
      child.child.kill('SIGINT')
      return child.exited
    },
  }
}

/** Answers the sandbox's consent page with Allow, as a user in a browser would; returns where it redirects. */
async function allowOnSandbox(authorizeUrl: string): Promise<string> {
  const page = await fetch(authorizeUrl)
  const consentId = /name="consent_id" value="([^"]+)"/.exec(await page.text())?.[1] ?? ''
  const answer = await fetch(new URL('/authorize/decision', authorizeUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ consent_id: consentId, decision: 'allow' }),
    redirect: 'manual',
  })
  return answer.headers.get('location') ?? ''
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('the standalone sandbox', SUITE, () => {
  it('issues 10-minute tokens by default, so token and call do not refresh right after login', async ({ makeWorld }) => {
    const world = await makeWorld()
    const sandbox = await startSandboxCli(world)
    expect(sandbox.banner).toContain('access tokens    expire after 600 s')
    const browser = world.spawn(['login', 'sandbox', '--no-browser'])
    const authorizeUrl = (await browser.waitForStderr(/^(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m))[1]!
    const callback = await allowOnSandbox(authorizeUrl)
    expect((await fetch(callback)).status).toBe(200)
    expectExit(await browser.exited, 0)
    const first = await world.cli(['token', 'sandbox'])
    const second = await world.cli(['token', 'sandbox'])
    expectExit(first, 0)
    expectExit(second, 0)
    expect(second.stdout).toBe(first.stdout)
    const status = await world.cli(['status', 'sandbox'])
    expectExit(status, 0)
    expect(status.stdout).toMatch(/expires in (9|10) min/)
    await sandbox.stop()
  })

  it('shows the default access-token lifetime in sandbox --help', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['sandbox', '--help'])
    expectExit(run, 0)
    expect(run.stdout).toMatch(/--access-token-ttl <seconds>\s+lifetime of access tokens \(default 600\)/)
  })

  it('has a confidential client for the client credentials grant, printed at start', async ({ makeWorld }) => {
    const world = await makeWorld()
    const sandbox = await startSandboxCli(world)
    expect(sandbox.banner).toContain('oauth-cli-sandbox-confidential, secret sandbox-secret')
    const env = { SANDBOX_CLIENT_SECRET: 'sandbox-secret' }
    const login = await world.cli(['login', 'sandbox', '--client-credentials', '--client-id', 'oauth-cli-sandbox-confidential'], { env })
    expectExit(login, 0)
    expect(login.stderr).toContain('Logged in to sandbox')
    const me = await world.cli(['call', 'sandbox', '/me'])
    expectExit(me, 0)
    expect(JSON.parse(me.stdout)).toMatchObject({ id: 'sandbox-user-1' })
    await sandbox.stop()
  })

  it('has a registered HTTPS redirect URI to try paste mode with, printed at start', async ({ makeWorld }) => {
    const world = await makeWorld()
    const sandbox = await startSandboxCli(world)
    const pasteUri = 'https://paste.oauth-cli.example/callback'
    expect(sandbox.banner).toContain(`${pasteUri} (paste mode)`)
    const login = world.spawn(['login', 'sandbox', '--redirect-uri', pasteUri, '--no-browser'], { keepStdinOpen: true })
    const authorizeUrl = (await login.waitForStderr(/^(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m))[1]!
    const landed = await allowOnSandbox(authorizeUrl)
    expect(landed.startsWith(`${pasteUri}?`)).toBe(true)
    login.writeStdin(`${landed}\n`)
    const run = await login.exited
    expectExit(run, 0)
    expect(run.stderr).toContain('Logged in to sandbox')
    expectExit(await world.cli(['call', 'sandbox', '/me']), 0)
    await sandbox.stop()
  })

  it('on a busy port names the sandbox port and --port, not a login callback', async ({ makeWorld }) => {
    const world = await makeWorld()
    const busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const { port } = busy.address() as AddressInfo
    try {
      const run = await world.cli(['sandbox', '--port', String(port)])
      expectExit(run, 2)
      expect(run.stdout).toBe('')
      expect(run.stderr).toContain(`the sandbox cannot listen on port ${port}: it is already in use`)
      expect(run.stderr).toContain('--port')
      expect(run.stderr).not.toContain('callback')
    } finally {
      busy.close()
    }
  })

  it('when it is not running, call sandbox asks whether `oauth-cli sandbox` is running', async ({ makeWorld }) => {
    const world = await makeWorld()
    const url = `http://127.0.0.1:${await closedPort()}`
    world.home.writeConfig({ providers: { sandbox: sandboxProviderConfig(url) } })
    const run = await world.cli(['call', 'sandbox', '/me'], { env: { OAUTH_CLI_SANDBOX_TOKEN: 'anything' } })
    expectExit(run, 5)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('is `oauth-cli sandbox` running?')
  })
})

describe('a config file that was named but does not exist', SUITE, () => {
  it('is exit 2 naming it, from --config or from OAUTH_CLI_CONFIG; doctor marks it', async ({ makeWorld }) => {
    const world = await makeWorld()
    const missing = join(world.home.home, 'no-such-config.json')
    const byFlag = await world.cli(['providers', '--config', missing])
    expectExit(byFlag, 2)
    expect(byFlag.stdout).toBe('')
    expect(byFlag.stderr).toContain(`the config file ${missing} (from --config) does not exist`)
    const byEnv = await world.cli(['token', 'acme'], { env: { OAUTH_CLI_CONFIG: missing } })
    expectExit(byEnv, 2)
    expect(byEnv.stdout).toBe('')
    expect(byEnv.stderr).toContain(`the config file ${missing} (from OAUTH_CLI_CONFIG) does not exist`)
    const doctor = await world.cli(['doctor', '--config', missing])
    expect(doctor.stdout + doctor.stderr).toMatch(/✗ config file.*does not exist/)
  })

  it('is no error at the default path, which may be absent', async ({ makeWorld }) => {
    const world = await makeWorld()
    const { OAUTH_CLI_CONFIG: _named, ...env } = world.env
    const run = await runCli(['providers'], { env: { ...env, XDG_CONFIG_HOME: join(world.home.home, 'empty-config-home') } })
    expectExit(run, 0)
    expect(run.stdout).toContain('livechat')
  })
})

describe('login --client-credentials with a public client', SUITE, () => {
  it('says the client is public and the grant needs a confidential one, without asking for a secret', async ({ makeWorld }) => {
    const world = await makeWorld({ acme: { token_endpoint_auth_method: 'none' } })
    const run = await world.cli(['login', 'acme', '--client-credentials', '--client-secret-stdin'], { stdin: 'given-secret\n' })
    expectExit(run, 2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain("the client credentials grant needs a confidential client, and acme's client test-client is public")
    expect(run.stderr).not.toMatch(/none is set|secret:/i)
    expect(run.stderr).not.toContain('given-secret')
    expect(world.fp.requests).toHaveLength(0)
  })
})

/** No $BROWSER and no display: nothing can be opened here. */
const HEADLESS = { BROWSER: '' }
const withDevice = { acme: (fp: FakeProvider) => ({ device_authorization_endpoint: `${fp.url}/device` }) }

describe('logging in from CI and other headless places', SUITE, () => {
  it('fails at once in CI without a terminal, even where a device flow exists, naming what works there', async ({ makeWorld }) => {
    const world = await makeWorld(withDevice)
    const started = Date.now()
    const run = await world.cli(['login', 'acme'], { env: { ...HEADLESS, CI: 'true' } })
    expectExit(run, 2)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('no browser can be opened in CI and there is no terminal')
    for (const way of ['--with-token', 'oauth-cli import', '--client-credentials', '--device']) expect(run.stderr).toContain(way)
    expect(world.fp.requests).toEqual([])
  })

  it('with an explicit --device in CI, prints the code and URL, and a new pair each time the code expires', async ({ makeWorld }) => {
    const world = await makeWorld({ ...withDevice, provider: { deviceCodeTtl: 1 } })
    const cli = world.spawn(['login', 'acme', '--device', '--timeout', '30'], { env: { ...HEADLESS, CI: 'true' } })
    const codes = new Set<string>()
    for (let n = 1; n <= 2; n++) {
      const matches = await cli.waitForStderr(new RegExp(`(?:enter the code: \\S+[\\s\\S]*){${n}}`), 15_000)
      codes.add([...matches[0].matchAll(/enter the code: (\S+)/g)].at(-1)![1]!)
    }
    expect(codes.size).toBe(2)
    expect(cli.stderr()).toContain(`visit ${world.fp.url}/device/verify`)
    cli.child.kill('SIGINT')
    const run = await cli.exited
    expectExit(run, 130)
  })

  it('names a missing <PROVIDER>_CLIENT_ID first in CI, not the missing browser', async ({ makeWorld }) => {
    const world = await makeWorld({ acme: { client_id: undefined } })
    const run = await world.cli(['login', 'acme'], { env: { ...HEADLESS, CI: 'true' } })
    expectExit(run, 2)
    expect(run.stderr).toContain('ACME_CLIENT_ID')
    expect(run.stderr).not.toMatch(/browser/)
  })

  it('says the device code was not approved when a device login times out, not a browser', async ({ makeWorld }) => {
    const world = await makeWorld(withDevice)
    const run = await world.cli(['login', 'acme', '--device', '--timeout', '1', '--no-browser'])
    expectExit(run, 5)
    expect(run.stderr).toContain('the device code for acme was not approved within 1 s')
    expect(run.stderr).not.toMatch(/browser showed an error page/)
  })

  it('takes the same rung of the ladder when $BROWSER fails as when there is no display: the device flow', async ({ makeWorld }) => {
    const world = await makeWorld(withDevice)
    const failing = world.home.writeExecutable('failing-browser', '#!/bin/sh\nexit 3\n')
    for (const env of [HEADLESS, { BROWSER: failing }]) {
      const cli = world.spawn(['login', 'acme'], { env })
      await cli.waitForStderr(/using the device flow instead/)
      await cli.waitForStderr(/enter the code: \S+/)
      expect(world.fp.decidePendingDevices()).toBe(1)
      const run = await cli.exited
      expectExit(run, 0)
      expect(run.stderr).not.toContain('/authorize?')
    }
    expect(grantTypes(world.fp)).toEqual(['urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:device_code'])
  })
})

describe('cancelling', SUITE, () => {
  it('Ctrl-C while waiting for the browser prints one "cancelled" line and exits 130, storing nothing', async ({ makeWorld }) => {
    const world = await makeWorld()
    const cli = world.spawn(['login', 'acme'], { env: { BROWSER: world.noopBrowser() } })
    await cli.waitForStderr(/Waiting for the redirect/)
    cli.child.kill('SIGINT')
    const run = await cli.exited
    expectExit(run, 130)
    expect(run.stdout).toBe('')
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('oauth-cli: cancelled')
    const status = await world.cli(['status', '--json'])
    expect(JSON.parse(status.stdout)).toEqual([])
  })

  it('Ctrl-D at the paste prompt under --no-browser says nothing was pasted, not that no browser could be opened', async ({ makeWorld }) => {
    const world = await makeWorld({ acme: { redirect_uri: 'https://app.example/callback' } })
    const run = await world.cli(['login', 'acme', '--no-browser'], { stdin: '' })
    expectExit(run, 2)
    expect(run.stderr).toContain('stdin ended before anything was pasted')
    expect(run.stderr).toContain('https://app.example/callback')
    expect(run.stderr).not.toContain('no browser could be opened')
  })
})

describe('status', SUITE, () => {
  it('status <unknown provider> is exit 2 with did-you-mean, like every other command', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['status', 'acmee'])
    expectExit(run, 2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('unknown provider "acmee"')
    expect(run.stderr).toContain('did you mean "acme"?')
  })

  it('status <provider> with nothing stored is exit 3 with the login to run; bare status stays 0', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['status', 'acme'])
    expectExit(run, 3)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('not logged in to acme (profile default)')
    expect(run.stderr).toContain('oauth-cli login acme')
    const json = await world.cli(['status', 'acme', '--json'])
    expectExit(json, 3)
    expect(JSON.parse(json.stdout)).toEqual([])
    const bare = await world.cli(['status'])
    expectExit(bare, 0)
    // The hint is a human message: stderr (SPEC: stdout carries only the result), as gh auth status; JSON stays [].
    expect(bare.stdout).toBe('')
    expect(bare.stderr).toBe('No stored credentials. Run: oauth-cli login <provider>\n')
    const bareJson = await world.cli(['status', '--json'])
    expectExit(bareJson, 0)
    expect(bareJson.stdout).toBe('[]\n')
    expect(bareJson.stderr).toBe('')
  })

  it('says seconds, not "0 min", for a token with less than a minute left', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 40 } })
    await loginAcme(world)
    const run = await world.cli(['status', 'acme'])
    expectExit(run, 0)
    expect(run.stdout).toMatch(/expires in [1-4]\d s \(/)
    expect(run.stdout).not.toMatch(/0 min/)
  })
})

describe('login --remote and authorize', SUITE, () => {
  it('authorize says "Approved — paste the line…" with the display name, and the prompt asks to paste once', async ({ makeWorld }) => {
    const port = await closedPort()
    const world = await makeWorld({ acme: { redirect_uri: `http://127.0.0.1:${port}/callback`, display_name: 'Acme Cloud' } })
    const headless = world.spawn(['login', 'acme', '--remote'], { keepStdinOpen: true, env: HEADLESS })
    const [, request] = await headless.waitForStderr(/oauth-cli authorize '([^']+)'/)
    await headless.waitForStderr(/Paste the line it prints here: /)
    expect(headless.stderr().match(/paste the line/gi)).toHaveLength(1)
    const browserSide = world.spawn(['authorize', request!, '--no-browser'], {
      env: { HOME: world.home.home, PATH: process.env.PATH ?? '' },
    })
    const [authorizeUrl] = await browserSide.waitForStderr(/^http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+$/m)
    const redirected = (await fetch(authorizeUrl, { redirect: 'manual' })).headers.get('location')!
    const page = await (await fetch(redirected)).text()
    expect(page).toContain('Approved at Acme Cloud \u2014 paste the line in the terminal on the other machine.')
    expect(page).not.toContain('Signed in')
    const answered = await browserSide.exited
    expectExit(answered, 0)
    headless.writeStdin(answered.stdout)
    const run = await headless.exited
    expectExit(run, 0)
    expect(run.stderr).toContain('Logged in to acme')
  })
})

describe('paste mode wording', SUITE, () => {
  it('names the URL in its sentence, and the result starts a new line after the prompt', async ({ makeWorld }) => {
    const world = await makeWorld({ acme: { redirect_uri: 'https://app.example/callback', display_name: 'Acme' } })
    const cli = world.spawn(['login', 'acme'], { keepStdinOpen: true, env: { BROWSER: world.noopBrowser() } })
    const [, url] = await cli.waitForStderr(/If it did not open, visit:\n(\S+)\n/)
    expect(cli.stderr()).toContain('Opened your browser to log in to acme: approve, then paste the address it lands on.')
    const redirected = (await fetch(url!, { redirect: 'manual' })).headers.get('location')!
    cli.writeStdin(`${redirected}\n`)
    const run = await cli.exited
    expectExit(run, 0)
    expect(run.stderr).toMatch(/\(or just the code\): \n✓ Logged in to acme/)
  })
})

describe('logout', SUITE, () => {
  it('of a profile with nothing stored is exit 3 saying nothing is stored, not "run login"', async ({ makeWorld }) => {
    const world = await makeWorld()
    for (const extra of [[], ['--local']]) {
      const run = await world.cli(['logout', 'acme', '--profile', 'work', ...extra])
      expectExit(run, 3)
      expect(run.stdout).toBe('')
      expect(run.stderr).toContain('nothing is stored for acme (profile work), so there is nothing to log out')
      expect(run.stderr).toContain('oauth-cli status')
      expect(run.stderr).not.toContain('login')
    }
  })

  it('--json prints {"provider","profile","revoked","store"}', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli(['logout', 'acme', '--json'])
    expectExit(run, 0)
    expect(JSON.parse(run.stdout)).toEqual({ provider: 'acme', profile: 'default', revoked: true, store: 'file' })
  })
})

describe('profile', SUITE, () => {
  it('profile use <provider> <profile with nothing stored> says so and how to log in', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['profile', 'use', 'acme', 'nonexistent'])
    expectExit(run, 0)
    expect(run.stderr).toContain('Default profile for acme set to "nonexistent"')
    expect(run.stderr).toContain('note: nothing is stored for acme (profile nonexistent) yet; log in with: oauth-cli login acme')
    await loginAcme(world)
    const again = await world.cli(['profile', 'use', 'acme', 'nonexistent'])
    expect(again.stderr).not.toContain('nothing is stored')
  })

  it('profile list does not say "built-in" for a config-file provider nobody chose a profile for', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['profile', 'list'])
    expectExit(run, 0)
    expect(run.stdout).toMatch(/^acme\s+default\s+not set$/m)
    expect(run.stdout).not.toContain('built-in')
  })
})

describe('doctor', SUITE, () => {
  it('marks a $BROWSER that does not exist, and checks a provider\'s client id', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['doctor', 'livechat'], { env: { BROWSER: 'no-such-browser-xyz' } })
    expectExit(run, 1)
    expect(run.stdout).toMatch(/✗ browser\s+\$BROWSER names "no-such-browser-xyz", which cannot be found or run/)
    expect(run.stdout).toMatch(/! client\s+no client id for livechat/)
    const ok = await world.cli(['doctor', 'livechat'], { env: { LIVECHAT_CLIENT_ID: 'abc' } })
    expect(ok.stdout).not.toMatch(/no client id/)
    expect(ok.stdout).toMatch(/✓ browser\s+\$BROWSER/)
  })

  it('--json gives every check one shape: {name, status: ok|warn|fail, detail, fix}', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['doctor', '--json'], { env: { BROWSER: '' } })
    const checks = JSON.parse(run.stdout) as Array<Record<string, unknown>>
    expect(checks.length).toBeGreaterThan(3)
    for (const check of checks) {
      expect(Object.keys(check).sort()).toEqual(['detail', 'fix', 'name', 'status'])
      expect(['ok', 'warn', 'fail']).toContain(check.status)
    }
    expect(checks.some((c) => c.status === 'warn')).toBe(true)
  })
})

describe('call: a user-supplied Authorization header', SUITE, () => {
  it('replaces the stored credential for that request: no refresh and no retry on its 401', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const stored = last(world.fp.issuedAccessTokens())
    const run = await world.cli(['call', 'acme', '/me', '-H', 'Authorization: Bearer not-a-real-token'])
    expectExit(run, 4)
    const sent = apiRequests(world.fp, '/api/me')
    expect(sent).toHaveLength(1)
    expect(sent[0]!.headers.authorization).toBe('Bearer not-a-real-token')
    expect(grantTypes(world.fp)).toEqual(['authorization_code'])
    expect(world.fp.isTokenActive(stored)).toBe(true)
  })
})

describe('curl habits', SUITE, () => {
  // -L, refused with its reason first: process-boundary.test.ts.
  it('-v points at --verbose; -G and --data-urlencode point at -q', async ({ makeWorld }) => {
    const world = await makeWorld()
    const cases: Array<[string[], string]> = [
      [['-v'], 'did you mean "--verbose"?'],
      [['-G'], '-q name=value'],
      [['--data-urlencode', 'a=b'], 'use -q name=value'],
    ]
    for (const [flags, pointer] of cases) {
      const run = await world.cli(['call', 'acme', '/me', ...flags])
      expectExit(run, 2)
      expect(run.stdout).toBe('')
      expect(run.stderr).toContain(`unknown option '${flags[0]}'`)
      expect(run.stderr).toContain(pointer)
    }
    expect(world.fp.requests).toHaveLength(0)
  })

  it('-s/--silent is accepted; -f/--fail prints no body on an HTTP error and exits 4', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    for (const silent of ['-s', '--silent']) {
      const run = await world.cli(['call', 'acme', '/me', silent])
      expectExit(run, 0)
      expect(run.stdout).not.toBe('')
      expect(run.stderr).toBe('')
    }
    world.fp.injectApiFault({ status: 404, body: '{"error":"nope"}', headers: { 'content-type': 'application/json' } }, 2)
    const plain = await world.cli(['call', 'acme', '/missing'])
    expectExit(plain, 4)
    expect(plain.stdout).toContain('nope')
    const failing = await world.cli(['call', 'acme', '/missing', '-f'])
    expectExit(failing, 4)
    expect(failing.stdout).toBe('')
    expect(failing.stderr).toContain('HTTP 404')
  })

  it('a repeated -H with the same name sends every value', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli(['call', 'acme', '/me', '-H', 'X-Tag: one', '-H', 'X-Tag: two'])
    expectExit(run, 0)
    expect(last(apiRequests(world.fp, '/api/me')).headers['x-tag']).toBe('one, two')
  })

  it('-i -o puts the status line and headers in the file too', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const file = join(world.home.home, 'out.txt')
    const run = await world.cli(['call', 'acme', '/me', '-i', '-o', file])
    expectExit(run, 0)
    expect(run.stdout).toBe('')
    const written = readFileSync(file, 'utf8')
    expect(written).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(written).toMatch(/\r\n\r\n\{/)
  })

  it('-o - writes the body (and with -i the head) to stdout, as curl does: no file named "-"', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const plain = await world.cli(['call', 'acme', '/me'])
    expectExit(plain, 0)
    const run = await world.cli(['call', 'acme', '/me', '-o', '-'])
    expectExit(run, 0)
    expect(run.stdout).toBe(plain.stdout)
    const included = await world.cli(['call', 'acme', '/me', '-i', '-o', '-'])
    expectExit(included, 0)
    expect(included.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(existsSync(join(world.home.home, '-'))).toBe(false)
  })

  it('-o into a directory that does not exist is refused before anything is sent', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const before = apiRequests(world.fp).length
    const run = await world.cli(['call', 'acme', '/things', '-d', '{"x":1}', '-o', '/nonexistent/dir/x'])
    expectExit(run, 2)
    expect(run.stderr).toContain('cannot write the response body to /nonexistent/dir/x: the directory /nonexistent/dir does not exist')
    expect(run.stderr).toContain('nothing was sent')
    expect(apiRequests(world.fp)).toHaveLength(before)
  })

  it('--version, -V and version agree, with global flags around them too: "oauth-cli <version>"', async ({ makeWorld }) => {
    const world = await makeWorld()
    const outputs = new Set<string>()
    const forms = [['--version'], ['-V'], ['version'], ['--no-color', 'version'], ['--verbose', 'version', '--no-color'], ['--no-color', '--version']]
    for (const args of forms) {
      const run = await world.cli(args)
      expectExit(run, 0)
      expect(run.stderr).toBe('')
      outputs.add(run.stdout)
    }
    expect([...outputs]).toHaveLength(1)
    expect([...outputs][0]).toMatch(/^oauth-cli \d+\.\d+\.\d+\S*\n$/)
  })
})

describe('the command line', SUITE, () => {
  it('help <unknown> is an unknown command, exit 2, with the same did-you-mean as everywhere', async ({ makeWorld }) => {
    const world = await makeWorld()
    const help = await world.cli(['help', 'logn'])
    expectExit(help, 2)
    expect(help.stdout).toBe('')
    expect(help.stderr).toBe('oauth-cli: unknown command \'logn\'\ndid you mean "login"?\nrun: oauth-cli --help\n')
    const typo = await world.cli(['logn', 'acme'])
    expectExit(typo, 2)
    expect(typo.stderr).toContain('did you mean "login"?')
    const option = await world.cli(['login', 'acme', '--scop', 'x'])
    expectExit(option, 2)
    expect(option.stderr).toContain('did you mean "--scope"?')
    expect(option.stderr + typo.stderr).not.toContain('(Did you mean')
  })

  it('-q without "=" says what it expects, not garbled by redaction', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['call', 'acme', '/me', '-q', 'noequals'], { env: { OAUTH_CLI_ACME_TOKEN: 'x' } })
    expectExit(run, 2)
    expect(run.stderr).toContain('-q expects name=value, got "noequals"')
    expect(run.stderr).not.toContain('[redacted]')
  })

  it('help shows no "(default: [])", and --profile\'s default mentions profile use', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['call', '--help'])
    expectExit(run, 0)
    expect(run.stdout).not.toContain('(default: [])')
    expect(run.stdout).toMatch(/--profile <name>\s+which account of the provider \(default: the one\s+`profile use` chose/)
    expect(run.stdout).toMatch(/Not\s+the global --json/)
  })
})

describe('call --paginate on an endpoint that is not a list', SUITE, () => {
  it('prints the body and says it is not a list', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli(['call', 'acme', '/me', '--paginate'])
    expectExit(run, 0)
    expect(JSON.parse(run.stdout)).toMatchObject({})
    expect(run.stdout).not.toBe('[]\n')
    expect(run.stderr).toContain('is not a list')
    expect(run.stderr).toContain('printed it as it is')
  })
})

describe('--json shapes as SPEC says', SUITE, () => {
  it('token --json prints {"access_token","token_type","expires_at"}, from the fast path and after a refresh', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    await loginAcme(world)
    world.fp.setAccessTokenTtl(3600)
    const refreshed = await world.cli(['token', 'acme', '--json'])
    expectExit(refreshed, 0)
    const fresh = await world.cli(['token', 'acme', '--json'])
    expectExit(fresh, 0)
    for (const run of [refreshed, fresh]) {
      const value = JSON.parse(run.stdout) as Record<string, unknown>
      expect(Object.keys(value).sort()).toEqual(['access_token', 'expires_at', 'token_type'])
      expect(value).toMatchObject({ access_token: last(world.fp.issuedAccessTokens()), token_type: 'Bearer' })
      expect(Number.isNaN(Date.parse(String(value.expires_at)))).toBe(false)
    }
  })

  it('refresh --json prints the status row, default included', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const refresh = await world.cli(['refresh', 'acme', '--json'])
    expectExit(refresh, 0)
    const status = await world.cli(['status', '--json'])
    const keys = Object.keys((JSON.parse(status.stdout) as object[])[0]!).sort()
    for (const run of [refresh]) {
      const value = JSON.parse(run.stdout) as Record<string, unknown>
      expect(Object.keys(value).sort()).toEqual(keys)
      expect(value).toMatchObject({ provider: 'acme', profile: 'default', default: true })
    }
  })
})

describe('status after the provider rejected the refresh token', SUITE, () => {
  it('says REFRESHABLE no (remembered), keeps the credential, and a new login clears it', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    world.fp.revokeAllGrants()
    const refresh = await world.cli(['refresh', 'acme'])
    expectExit(refresh, 3)
    expect(refresh.stderr).toContain('oauth-cli login acme')
    const status = await world.cli(['status'])
    expectExit(status, 0)
    expect(status.stdout).toMatch(/^acme\s+default \*\s+.*\s+no\s+file$/m)
    const json = JSON.parse((await world.cli(['status', '--json'])).stdout) as Array<{ refreshable: boolean }>
    expect(json).toHaveLength(1)
    expect(json[0]!.refreshable).toBe(false)
    await loginAcme(world)
    const again = JSON.parse((await world.cli(['status', '--json'])).stdout) as Array<{ refreshable: boolean }>
    expect(again[0]!.refreshable).toBe(true)
  })
})

describe('a code exchange that fails', SUITE, () => {
  it('says "see the terminal" once on the page, and the terminal names the token endpoint', async ({ makeWorld }) => {
    const world = await makeWorld()
    world.fp.injectTokenFault({ status: 502, body: '<html>bad gateway</html>', headers: { 'content-type': 'text/html' } })
    const cli = world.spawn(['login', 'acme', '--no-browser'])
    const [authorizeUrl] = await cli.waitForStderr(/^http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+$/m)
    const callback = (await fetch(authorizeUrl, { redirect: 'manual' })).headers.get('location')!
    const page = await (await fetch(callback)).text()
    expect(page.match(/terminal/gi)).toHaveLength(1)
    const run = await cli.exited
    expectExit(run, 5)
    expect(run.stderr).toContain(`token endpoint (${world.fp.url}/token) answered with a body that is not JSON (HTTP 502, text/html)`)
  })
})

describe('a reader that stops early (| head)', SUITE, () => {
  it('ends call without a stack trace when stdout is closed mid-body', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const big = JSON.stringify({ data: 'x'.repeat(4 * 1024 * 1024) })
    world.fp.injectApiFault({ status: 200, body: big, headers: { 'content-type': 'application/json' } })
    const cli = world.spawn(['call', 'acme', '/big'])
    cli.child.stdout.once('data', () => cli.child.stdout.destroy())
    const run = await cli.exited
    expect(run.stderr).not.toMatch(/\n\s+at /)
    expect(run.stderr).not.toContain('Emitted \'error\' event')
  })
})

describe('explicit choices are honoured', SUITE, () => {
  it('a 401 to a -H Authorization names that header, not "run login"', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli(['call', 'acme', '/me', '-H', 'Authorization: Bearer not-a-real-token'])
    expectExit(run, 4)
    expect(run.stderr).toContain('the Authorization header given with -H was refused')
    expect(run.stderr).not.toContain('oauth-cli login')
  })

  it('a paste-mode redirect URI stays paste mode without a display, even where a device flow exists', async ({ makeWorld }) => {
    const world = await makeWorld({ ...withDevice })
    const run = await world.cli(['login', 'acme', '--redirect-uri', 'https://app.example/callback'], { env: HEADLESS, stdin: '' })
    expectExit(run, 2)
    expect(run.stderr).not.toContain('device flow')
    expect(run.stderr).toContain('paste the address it lands on')
    expect(world.fp.requests.filter((r) => r.path === '/device')).toEqual([])
  })
})
