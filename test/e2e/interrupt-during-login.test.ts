/**
 * Ctrl-C during a login's code exchange, once the token request has gone out:
 * the code is spent, and the answer holds the only copy of the tokens the
 * provider issued. As for a refresh (interrupt-during-refresh.test.ts), the
 * first Ctrl-C waits for that answer (within the deadline), stores it, then
 * says cancelled (exit 130); a second Ctrl-C ends at once, and the old
 * credentials stay. Before the request is sent, Ctrl-C ends at once and leaves
 * the old credentials alone. On the built CLI, with the fake provider holding
 * the token answer.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { expectExit, grantTypes, it, last, loginAcme, paramsOf, SUITE, type World } from './world'

const credentialFile = (world: World): string => join(world.env.XDG_DATA_HOME!, 'oauth-cli', 'credentials', 'acme@default.json')
const stored = (world: World): Record<string, unknown> => JSON.parse(readFileSync(credentialFile(world), 'utf8')) as Record<string, unknown>
/** The second code exchange (the first was the login the test made beforehand). */
const secondExchange = (world: World) =>
  world.fp.waitForRequest((r) => r.path === '/token' && paramsOf(r).get('grant_type') === 'authorization_code' && paramsOf(r).get('code') !== world.fp.issuedCodes()[0])
const WAITING = /waiting for the answer to the login's token request already sent.*Ctrl-C again/

describe('Ctrl-C during a login', SUITE, () => {
  it('once the code exchange is sent: waits for the answer, stores its tokens over the old ones, then says cancelled (exit 130)', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const answer = world.fp.holdNextTokenAnswer()
    const cli = world.spawn(['login', 'acme'])
    await secondExchange(world)
    // The provider has issued the new tokens; its answer is still held.
    const issued = last(world.fp.issuedRefreshTokens())
    cli.child.kill('SIGINT')
    await cli.waitForStderr(WAITING)
    answer.release()
    const run = await cli.exited
    expectExit(run, 130)
    expect(run.stdout).toBe('')
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('oauth-cli: cancelled')
    expect(run.stderr).not.toContain('Logged in')
    expect(run.stderr).not.toContain(issued)
    expect(stored(world).refresh_token).toBe(issued)
    // The next command uses them, sending nothing.
    const next = await world.cli(['token', 'acme'])
    expectExit(next, 0)
    expect(next.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'authorization_code'])
  })

  it('a second Ctrl-C while the answer is awaited ends at once: exit 130, the old credentials as they were', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const before = readFileSync(credentialFile(world), 'utf8')
    world.fp.holdNextTokenAnswer()
    const cli = world.spawn(['login', 'acme'])
    await secondExchange(world)
    cli.child.kill('SIGINT')
    await cli.waitForStderr(WAITING)
    cli.child.kill('SIGINT')
    const run = await cli.exited
    expectExit(run, 130)
    expect(run.stdout).toBe('')
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('oauth-cli: cancelled')
    expect(readFileSync(credentialFile(world), 'utf8')).toBe(before)
  })

  it('before the code exchange (waiting for the browser): ends at once, sends nothing, the old credentials as they were', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const before = readFileSync(credentialFile(world), 'utf8')
    const cli = world.spawn(['login', 'acme'], { env: { BROWSER: world.noopBrowser() } })
    await cli.waitForStderr(/Waiting for the redirect/)
    cli.child.kill('SIGINT')
    const run = await cli.exited
    expectExit(run, 130)
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('oauth-cli: cancelled')
    expect(run.stderr).not.toMatch(/waiting for the answer/)
    expect(grantTypes(world.fp)).toEqual(['authorization_code'])
    expect(readFileSync(credentialFile(world), 'utf8')).toBe(before)
  })
})
