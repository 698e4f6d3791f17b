/**
 * Issue 4's headless ladder, end to end: no browser can be opened (no
 * $BROWSER, no DISPLAY), so login uses the device flow where there is one,
 * else a short URL plus a pasted redirect; `--remote` splits the login across
 * two machines; and in CI without a terminal it fails fast.
 */
import { createServer } from 'node:net'
import { describe, expect } from 'vitest'
import { BROWSER_FOLLOW } from '../support/run-cli'
import { expectExit, grantTypes, it, statusJson, SUITE, tokenRequests } from './world'

/** No $BROWSER and no display: the CLI cannot open anything. */
const HEADLESS = { BROWSER: '' }

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

describe('login without a browser', SUITE, () => {
  it('prints a short loopback URL that redirects to the authorize URL, and accepts the redirect pasted on stdin', async ({ makeWorld }) => {
    const world = await makeWorld()
    const cli = world.spawn(['login', 'acme'], { keepStdinOpen: true, env: HEADLESS })
    const [, short] = await cli.waitForStderr(/short form, on this machine: (http:\/\/127\.0\.0\.1:\d+\/)\)/)
    const [long] = await cli.waitForStderr(/^http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+$/m)
    const landing = await fetch(short!, { redirect: 'manual' })
    expect(landing.status).toBe(302)
    expect(landing.headers.get('location')).toBe(long)
    // The browser is on another machine: the provider's redirect never reaches this one.
    const approved = await fetch(long, { redirect: 'manual' })
    const redirected = approved.headers.get('location')!
    expect(redirected).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/)
    cli.writeStdin(`${redirected}\n`)
    const run = await cli.exited
    expectExit(run, 0)
    expect(run.stderr).toMatch(/no browser could be opened: no display/)
    expect(tokenRequests(world.fp)).toHaveLength(1)
    expect(await statusJson(world)).toHaveLength(1)
  })

  it('switches to the device flow by itself when the provider has one', async ({ makeWorld }) => {
    const world = await makeWorld({ acme: (fp) => ({ device_authorization_endpoint: `${fp.url}/device` }) })
    const cli = world.spawn(['login', 'acme'], { env: HEADLESS })
    await cli.waitForStderr(/using the device flow instead/)
    await cli.waitForStderr(/enter the code: \S+/)
    expect(world.fp.decidePendingDevices()).toBe(1)
    const run = await cli.exited
    expectExit(run, 0)
    expect(grantTypes(world.fp).at(-1)).toBe('urn:ietf:params:oauth:grant-type:device_code')
  })

  it('fails fast in CI without a terminal, naming the ways in that work there', async ({ makeWorld }) => {
    const world = await makeWorld()
    const started = Date.now()
    const run = await world.cli(['login', 'acme'], { env: { ...HEADLESS, CI: 'true' } })
    expectExit(run, 2)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(run.stderr).toMatch(/--with-token/)
    expect(run.stderr).toMatch(/--device/)
    expect(world.fp.requests.filter((r) => r.path === '/authorize' || r.path === '/token')).toEqual([])
  })
})

describe('login --remote', SUITE, () => {
  it('completes a login across two machines: the answer carries the code, the verifier never leaves', async ({ makeWorld }) => {
    const port = await freePort()
    const world = await makeWorld({ acme: { redirect_uri: `http://127.0.0.1:${port}/callback` } })
    const headless = world.spawn(['login', 'acme', '--remote'], { keepStdinOpen: true, env: HEADLESS })
    const [, request] = await headless.waitForStderr(/oauth-cli authorize '([^']+)'/)
    // The machine with a browser: its own HOME, no client secret, only the request.
    const browserSide = await world.cli(['authorize', request!], {
      env: { HOME: world.home.home, PATH: process.env.PATH ?? '', BROWSER: BROWSER_FOLLOW },
    })
    expectExit(browserSide, 0)
    const answer = browserSide.stdout.trim()
    expect(answer).toMatch(/^oauth-cli-answer:v1:/)
    headless.writeStdin(`${answer}\n`)
    const run = await headless.exited
    expectExit(run, 0)
    const [exchange] = tokenRequests(world.fp)
    expect(exchange!.params.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/)
    expect(Buffer.from(answer.slice('oauth-cli-answer:v1:'.length), 'base64url').toString()).not.toContain(
      exchange!.params.get('code_verifier')!,
    )
    expect(await statusJson(world)).toHaveLength(1)
  })
})
