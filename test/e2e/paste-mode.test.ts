/**
 * A non-loopback redirect_uri (Livestorm registers one HTTPS URL per app): the
 * CLI prints the authorization URL and reads the redirected URL from stdin.
 */
import { describe, expect } from 'vitest'
import { it, SUITE, expectExit, grantTypes, statusJson, tokenRequests, type MakeWorld, type World } from './world'

const AUTHORIZE_LINE = /^https?:\/\/127\.0\.0\.1:\d+\/authorize\?\S+$/m

function pasteWorld(makeWorld: MakeWorld): Promise<World> {
  return makeWorld({ acme: { redirect_uri: 'https://example.com/oauth/callback' } })
}

/** Plays the browser: asks the provider and returns where it redirects to. */
async function redirectedTo(authorizeUrl: string): Promise<URL> {
  const res = await fetch(authorizeUrl, { redirect: 'manual' })
  expect(res.status).toBe(302)
  return new URL(res.headers.get('location')!)
}

describe('login with a non-loopback redirect_uri (paste mode)', SUITE, () => {
  it('prints the authorization URL alone on its line and completes with the pasted redirect URL', async ({ makeWorld }) => {
    const world = await pasteWorld(makeWorld)
    const cli = world.spawn(['login', 'acme'], { keepStdinOpen: true, env: { BROWSER: world.noopBrowser() } })
    const [line] = await cli.waitForStderr(AUTHORIZE_LINE)
    const location = await redirectedTo(line)
    expect(location.origin + location.pathname).toBe('https://example.com/oauth/callback')
    cli.writeStdin(`${location.href}\n`)
    const run = await cli.exited
    expectExit(run, 0)
    expect(run.stdout).toBe('')
    const [exchange] = tokenRequests(world.fp)
    expect(exchange!.params.get('redirect_uri')).toBe('https://example.com/oauth/callback')
    expect(await statusJson(world)).toHaveLength(1)
  })

  it('refuses a pasted URL with the wrong state and never exchanges its code', async ({ makeWorld }) => {
    const world = await pasteWorld(makeWorld)
    const cli = world.spawn(['login', 'acme'], { keepStdinOpen: true, env: { BROWSER: world.noopBrowser() } })
    const [line] = await cli.waitForStderr(AUTHORIZE_LINE)
    const location = await redirectedTo(line)
    location.searchParams.set('state', 'forged-state')
    cli.writeStdin(`${location.href}\n`)
    cli.endStdin()
    const run = await cli.exited
    expectExit(run, [1, 2])
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/state/i)
    expect(grantTypes(world.fp)).toEqual([])
    expect(await statusJson(world)).toEqual([])
  })

  it('accepts just the code pasted on its own', async ({ makeWorld }) => {
    const world = await pasteWorld(makeWorld)
    const cli = world.spawn(['login', 'acme'], { keepStdinOpen: true, env: { BROWSER: world.noopBrowser() } })
    const [line] = await cli.waitForStderr(AUTHORIZE_LINE)
    const location = await redirectedTo(line)
    cli.writeStdin(`${location.searchParams.get('code')}\n`)
    const run = await cli.exited
    expectExit(run, 0)
    expect(grantTypes(world.fp)).toEqual(['authorization_code'])
  })

  it('does not leak the pasted code into stderr', async ({ makeWorld }) => {
    const world = await pasteWorld(makeWorld)
    const cli = world.spawn(['login', 'acme'], { keepStdinOpen: true, env: { BROWSER: world.noopBrowser() } })
    const [line] = await cli.waitForStderr(AUTHORIZE_LINE)
    const location = await redirectedTo(line)
    cli.writeStdin(`${location.href}\n`)
    const run = await cli.exited
    expectExit(run, 0)
    expect(run.stderr).not.toContain(location.searchParams.get('code')!)
  })
})
