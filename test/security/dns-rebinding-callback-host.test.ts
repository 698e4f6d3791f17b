/**
 * Issue 10 item 16: a page on attacker.example whose name was rebound to
 * 127.0.0.1 can reach the loopback listener, but its requests carry
 * `Host: attacker.example:PORT`. The listener answers only requests addressed
 * to the redirect URI's own loopback host and port; others get a 400 and the
 * login keeps waiting for the real callback.
 */
import { request } from 'node:http'
import { afterEach, describe, expect, it as plainIt } from 'vitest'
import type { CallbackServer } from '../../src/oauth/callback-server'
import { startCallbackServer } from '../../src/oauth/loopback'
import type { State } from '../../src/oauth/types'
import { it, SUITE, expectExit, statusJson, tokenRequests } from '../e2e/world'

const STATE = 'state-0123456789abcdef' as State

/** A GET to 127.0.0.1:port with the given Host header, as a rebound browser page would send it. */
function getWithHost(url: string, host: string | undefined): Promise<{ status: number; location?: string }> {
  const target = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: Number(target.port),
        path: target.pathname + target.search,
        headers: host === undefined ? {} : { host },
        setHost: host !== undefined,
        agent: false,
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending')
  return Promise.race([promise.then(() => true, () => true), new Promise((r) => setImmediate(() => r(marker)))]).then((v) => v === true)
}

const servers: CallbackServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

async function listen(redirectUri: string): Promise<CallbackServer> {
  const server = await startCallbackServer({ redirectUri: new URL(redirectUri), expectedState: STATE, providerName: 'acme', profile: 'default' })
  servers.push(server)
  return server
}

describe('the loopback listener and the Host header', () => {
  plainIt.for([
    ['another name', (port: string) => `attacker.example:${port}`],
    ['another port', () => '127.0.0.1:1'],
    ['the other loopback name', (port: string) => `localhost:${port}`],
    ['no port', () => '127.0.0.1'],
  ] as const)('refuses a callback with the right state addressed to %s, and keeps waiting', async ([, host]) => {
    const server = await listen('http://127.0.0.1:0/callback')
    const port = new URL(server.redirectUri).port
    const url = `${server.redirectUri}?code=forged&state=${STATE}`
    const waiting = server.waitForCallback()
    expect((await getWithHost(url, host(port))).status).toBe(400)
    expect(await settledSoon(waiting)).toBe(false)
    const real = getWithHost(url, `127.0.0.1:${port}`)
    const callback = await waiting
    expect(callback.params.get('code')).toBe('forged')
    await callback.respond({ ok: true })
    expect((await real).status).toBe(200)
  })

  plainIt('refuses a request with no Host header at all', async () => {
    const server = await listen('http://127.0.0.1:0/callback')
    const waiting = server.waitForCallback()
    expect((await getWithHost(`${server.redirectUri}?code=forged&state=${STATE}`, undefined)).status).toBe(400)
    expect(await settledSoon(waiting)).toBe(false)
  })

  plainIt('never hands the short landing redirect (which holds the state) to a rebound page', async () => {
    const server = await listen('http://127.0.0.1:0/callback')
    const port = new URL(server.redirectUri).port
    const short = server.setLandingRedirect(`https://id.example/authorize?state=${STATE}`)!
    const rebound = await getWithHost(short, `attacker.example:${port}`)
    expect(rebound.status).toBe(400)
    expect(rebound.location).toBeUndefined()
    expect((await getWithHost(short, `127.0.0.1:${port}`)).status).toBe(302)
  })

  plainIt('accepts the name the redirect URI uses: localhost', async () => {
    const server = await listen('http://localhost:0/callback')
    const port = new URL(server.redirectUri).port
    const waiting = server.waitForCallback()
    const url = `http://127.0.0.1:${port}/callback?code=c1&state=${STATE}`
    expect((await getWithHost(url, `127.0.0.1:${port}`)).status).toBe(400)
    // Host names are case-insensitive (RFC 9110 §4.2.3).
    const real = getWithHost(url, `LOCALHOST:${port}`)
    const callback = await waiting
    expect(callback.params.get('code')).toBe('c1')
    await callback.respond({ ok: true })
    expect((await real).status).toBe(200)
  })
})

describe('a login under a DNS-rebinding attack', SUITE, () => {
  it('ignores the rebound callback and completes with the real one', async ({ makeWorld }) => {
    const world = await makeWorld()
    const cli = world.spawn(['login', 'acme', '--no-browser'])
    const [authorize] = await cli.waitForStderr(/^http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+$/m)
    const redirect = new URL(new URL(authorize).searchParams.get('redirect_uri')!)
    const state = new URL(authorize).searchParams.get('state')!
    const forged = `${redirect.href}?code=attacker-code&state=${encodeURIComponent(state)}`
    expect((await getWithHost(forged, `attacker.example:${redirect.port}`)).status).toBe(400)
    // The user's browser then finishes the real login.
    const approved = await fetch(authorize, { redirect: 'manual' })
    const back = await fetch(approved.headers.get('location')!)
    expect(back.status).toBe(200)
    const run = await cli.exited
    expectExit(run, 0)
    expect(tokenRequests(world.fp).map((r) => r.params.get('code'))).not.toContain('attacker-code')
    expect(tokenRequests(world.fp)).toHaveLength(1)
    expect(await statusJson(world)).toHaveLength(1)
  })
})
