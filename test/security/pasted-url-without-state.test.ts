/**
 * Issue 10 item 14: the loopback listener refuses a callback without `state`;
 * a pasted redirect URL (or query string) without one must be refused the same
 * way, its code never exchanged. Only a bare code, which has nowhere to carry
 * a state, stays accepted (shared/SPEC.md, "Redirects").
 */
import { describe, expect } from 'vitest'
import { it, SUITE, expectExit, grantTypes, statusJson, type MakeWorld, type World } from '../e2e/world'

const AUTHORIZE_LINE = /^https?:\/\/127\.0\.0\.1:\d+\/authorize\?\S+$/m

function pasteWorld(makeWorld: MakeWorld): Promise<World> {
  return makeWorld({ acme: { redirect_uri: 'https://example.com/oauth/callback' } })
}

async function redirectedTo(authorizeUrl: string): Promise<URL> {
  const res = await fetch(authorizeUrl, { redirect: 'manual' })
  expect(res.status).toBe(302)
  return new URL(res.headers.get('location')!)
}

const WITHOUT_STATE: Array<[string, (location: URL) => string]> = [
  ['the redirected URL with its state removed', (l) => `${l.origin}${l.pathname}?code=${encodeURIComponent(l.searchParams.get('code')!)}`],
  ['a query string with a code and no state', (l) => `code=${encodeURIComponent(l.searchParams.get('code')!)}`],
  ['a query string starting with ? and no state', (l) => `?code=${encodeURIComponent(l.searchParams.get('code')!)}`],
  ['a URL with the code in its fragment and no state', (l) => `${l.origin}${l.pathname}#code=${encodeURIComponent(l.searchParams.get('code')!)}`],
  ['an error answer without state', (l) => `${l.origin}${l.pathname}?error=access_denied`],
]

describe('paste mode and a missing state', SUITE, () => {
  it.for(WITHOUT_STATE)('refuses %s and exchanges nothing', async ([, paste], { makeWorld }) => {
    const world = await pasteWorld(makeWorld)
    const cli = world.spawn(['login', 'acme'], { keepStdinOpen: true, env: { BROWSER: world.noopBrowser() } })
    const [line] = await cli.waitForStderr(AUTHORIZE_LINE)
    cli.writeStdin(`${paste(await redirectedTo(line))}\n`)
    cli.endStdin()
    const run = await cli.exited
    expectExit(run, 1)
    expect(run.stderr).toMatch(/no state/)
    expect(grantTypes(world.fp)).toEqual([])
    expect(await statusJson(world)).toEqual([])
  })

  it('refuses it too when the paste answers a loopback login whose browser is elsewhere', async ({ makeWorld }) => {
    const world = await makeWorld()
    const cli = world.spawn(['login', 'acme'], { keepStdinOpen: true, env: { BROWSER: '' } })
    const [line] = await cli.waitForStderr(AUTHORIZE_LINE)
    const location = await redirectedTo(line)
    cli.writeStdin(`${location.origin}${location.pathname}?code=${encodeURIComponent(location.searchParams.get('code')!)}\n`)
    const run = await cli.exited
    expectExit(run, 1)
    expect(run.stderr).toMatch(/no state/)
    expect(grantTypes(world.fp)).toEqual([])
  })

  it('still accepts a bare code, which cannot carry a state', async ({ makeWorld }) => {
    const world = await pasteWorld(makeWorld)
    const cli = world.spawn(['login', 'acme'], { keepStdinOpen: true, env: { BROWSER: world.noopBrowser() } })
    const [line] = await cli.waitForStderr(AUTHORIZE_LINE)
    cli.writeStdin(`${(await redirectedTo(line)).searchParams.get('code')}\n`)
    const run = await cli.exited
    expectExit(run, 0)
    expect(grantTypes(world.fp)).toEqual(['authorization_code'])
  })
})
