/**
 * Bug hunt (session seven, D1): SIGTERM (what `timeout`, a CI runner's job
 * cancel, systemd and `docker stop` send) and SIGHUP (an SSH session that
 * drops) killed the process at once, even after the refresh request had gone
 * out. The provider had rotated the refresh token; its answer, the only copy of
 * the new one, was lost, and the next command replayed the spent one
 * (invalid_grant). They now end as the first Ctrl-C does
 * (interrupt-during-refresh.test.ts): the answer is awaited (within the
 * refresh's deadline) and stored, then the process ends with 128 + the signal's
 * number, as a shell reports a process that signal ended. Before the request
 * goes out they end it promptly, with nothing changed; a second signal ends it
 * at once.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { apiRequests, expectExit, expectInterruptWhileLockHeldChangesNothing, grantTypes, it, last, loginAcme, paramsOf, SUITE, tokenRequests, type World } from './world'

const credentialFile = (world: World): string => join(world.env.XDG_DATA_HOME!, 'oauth-cli', 'credentials', 'acme@default.json')
const stored = (world: World): Record<string, unknown> => JSON.parse(readFileSync(credentialFile(world), 'utf8')) as Record<string, unknown>
const refreshSent = (world: World) =>
  world.fp.waitForRequest((r) => r.path === '/token' && paramsOf(r).get('grant_type') === 'refresh_token')

/** Logged in, with a stored token already expired (so every command refreshes first), new tokens living an hour. */
async function staleWorld(makeWorld: (o?: object) => Promise<World>): Promise<World> {
  const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
  await loginAcme(world)
  world.fp.setAccessTokenTtl(3600)
  return world
}

const SIGNALS = [
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const
const COMMANDS = [
  ['token (the fast build)', ['token', 'acme']],
  ['refresh (the full CLI)', ['refresh', 'acme']],
  ['call (the fast build, its refresh before the request)', ['call', 'acme', '/me']],
] as const

describe('SIGTERM and SIGHUP once a refresh request has gone out', SUITE, () => {
  it.for(SIGNALS.flatMap(([signal, code]) => COMMANDS.map(([name, args]) => [signal, code, name, args] as const)))(
    '%s, %s: %s waits for the answer, stores its rotated refresh token, then ends with that code and prints nothing',
    async ([signal, code, , args], { makeWorld }) => {
      const world = await staleWorld(makeWorld)
      const [spent] = world.fp.issuedRefreshTokens()
      const answer = world.fp.holdNextTokenAnswer()
      const cli = world.spawn([...args])
      await refreshSent(world)
      expect(world.fp.isTokenActive(spent!)).toBe(false)
      const rotated = last(world.fp.issuedRefreshTokens())
      cli.child.kill(signal)
      await cli.waitForStderr(new RegExp(`waiting for the answer to the refresh already sent.*${signal} again`))
      answer.release()
      const run = await cli.exited
      expectExit(run, code)
      expect(run.stdout).toBe('')
      expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(`oauth-cli: stopped by ${signal}`)
      expect(run.stderr).not.toContain(rotated)
      expect(stored(world).refresh_token).toBe(rotated)
      expect(apiRequests(world.fp)).toHaveLength(0)
      expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
      const next = await world.cli(['token', 'acme'])
      expectExit(next, 0)
      expect(next.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
      expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
    },
  )

  it('a second SIGTERM while the answer is awaited ends at once, the store untouched', async ({ makeWorld }) => {
    const world = await staleWorld(makeWorld)
    const before = readFileSync(credentialFile(world), 'utf8')
    world.fp.holdNextTokenAnswer()
    const cli = world.spawn(['refresh', 'acme'])
    await refreshSent(world)
    cli.child.kill('SIGTERM')
    await cli.waitForStderr(/waiting for the answer to the refresh already sent/)
    cli.child.kill('SIGTERM')
    const run = await cli.exited
    // Ended by the signal itself (the shell says 143), as any process a second SIGTERM ends.
    expect(run.exitCode === 143 || run.exitCode === null, `exit ${run.exitCode}`).toBe(true)
    expect(run.stdout).toBe('')
    expect(readFileSync(credentialFile(world), 'utf8')).toBe(before)
    expect(tokenRequests(world.fp)).toHaveLength(2)
  })

  it.for(SIGNALS)('%s while waiting for the refresh lock ends with %i, sends nothing, and leaves no temp or lock file', async ([signal, code], { makeWorld }) => {
    const world = await staleWorld(makeWorld)
    await expectInterruptWhileLockHeldChangesNothing(world, ['refresh', 'acme'], {}, { signal, exitCode: code, said: `oauth-cli: stopped by ${signal}` })
    expect(readdirSync(join(world.env.XDG_DATA_HOME!, 'oauth-cli', 'locks'))).toEqual([])
  })
})
