/**
 * Bug hunt (session six, F11): Ctrl-C once the refresh request had gone out
 * aborted it and exited 130 at once. The provider had processed it and rotated
 * the refresh token: its answer, the only copy of the new one, was dropped, and
 * the next command sent the spent one (invalid_grant, "log in"). Now the first
 * Ctrl-C lets the answer arrive (within the refresh's own deadline), stores it,
 * then says cancelled; a second Ctrl-C still ends at once. Before the request
 * is sent (waiting for the lock) Ctrl-C stays immediate (fast-refresh.test.ts,
 * full-cli-interrupt.test.ts).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { apiRequests, expectExit, grantTypes, it, last, loginAcme, paramsOf, SUITE, tokenRequests, type World } from './world'

const credentialFile = (world: World): string => join(world.env.XDG_DATA_HOME!, 'oauth-cli', 'credentials', 'acme@default.json')
const stored = (world: World): Record<string, unknown> => JSON.parse(readFileSync(credentialFile(world), 'utf8')) as Record<string, unknown>
const refreshSent = (world: World) =>
  world.fp.waitForRequest((r) => r.path === '/token' && paramsOf(r).get('grant_type') === 'refresh_token')
const FINISHING = /waiting for the answer to the refresh already sent.*Ctrl-C again/

/** Logged in, with a stored token already expired (so every command refreshes first), new tokens living an hour. */
async function staleWorld(makeWorld: (o?: object) => Promise<World>): Promise<World> {
  const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
  await loginAcme(world)
  world.fp.setAccessTokenTtl(3600)
  return world
}

describe('Ctrl-C once a refresh request has gone out', SUITE, () => {
  it.for([
    ['token (the fast build)', ['token', 'acme']],
    ['refresh (the full CLI)', ['refresh', 'acme']],
    ['call (its refresh before the request)', ['call', 'acme', '/me']],
  ] as const)('%s: waits for the answer, stores its rotated refresh token, then says cancelled (exit 130) and prints nothing', async ([, args], { makeWorld }) => {
    const world = await staleWorld(makeWorld)
    const [spent] = world.fp.issuedRefreshTokens()
    const answer = world.fp.holdNextTokenAnswer()
    const cli = world.spawn([...args])
    await refreshSent(world)
    // The provider has processed the refresh (the one sent is spent); its answer is still held.
    expect(world.fp.isTokenActive(spent!)).toBe(false)
    const rotated = last(world.fp.issuedRefreshTokens())
    cli.child.kill('SIGINT')
    await cli.waitForStderr(FINISHING)
    answer.release()
    const run = await cli.exited
    expectExit(run, 130)
    expect(run.stdout).toBe('')
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('oauth-cli: cancelled')
    expect(run.stderr).not.toContain(rotated)
    expect(stored(world).refresh_token).toBe(rotated)
    // Nothing more was sent after the Ctrl-C: no API request, no second refresh.
    expect(apiRequests(world.fp)).toHaveLength(0)
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
    // The next command has the new tokens: no refresh, no invalid_grant.
    const next = await world.cli(['token', 'acme'])
    expectExit(next, 0)
    expect(next.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
  })

  it('a second Ctrl-C while the answer is awaited ends at once: exit 130, nothing printed on stdout, the store untouched', async ({ makeWorld }) => {
    const world = await staleWorld(makeWorld)
    const before = readFileSync(credentialFile(world), 'utf8')
    world.fp.holdNextTokenAnswer()
    const cli = world.spawn(['token', 'acme'])
    await refreshSent(world)
    cli.child.kill('SIGINT')
    await cli.waitForStderr(FINISHING)
    cli.child.kill('SIGINT')
    const run = await cli.exited
    expectExit(run, 130)
    expect(run.stdout).toBe('')
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('oauth-cli: cancelled')
    expect(readFileSync(credentialFile(world), 'utf8')).toBe(before)
    expect(tokenRequests(world.fp)).toHaveLength(2)
  })

  it('an answer that does not come within the refresh deadline ends the wait as a timeout that says the refresh token may be spent', async ({ makeWorld }) => {
    const world = await staleWorld(makeWorld)
    const [kept] = world.fp.issuedRefreshTokens()
    world.fp.injectTokenFault('hang')
    const cli = world.spawn(['refresh', 'acme'], { env: { OAUTH_CLI_REFRESH_DEADLINE_MS: '3000' } })
    await refreshSent(world)
    cli.child.kill('SIGINT')
    await cli.waitForStderr(FINISHING)
    const run = await cli.exited
    expectExit(run, 5)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/the refresh did not finish within 3 s .*may have rotated the refresh token/)
    expect(stored(world).refresh_token).toBe(kept)
  })
})
