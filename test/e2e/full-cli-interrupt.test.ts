/**
 * Ctrl-C in the full CLI while a refresh waits for the lock (`refresh`, which
 * the fast build never answers): as in the fast build (fast-refresh.test.ts),
 * the refresh stops where it is. It used to be reported "cancelled" while it
 * went on in the background: once the lock freed it sent the refresh token,
 * and was cut wherever the process then ended.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { systemClock } from '../../src/platform/clock'
import { refreshLockName } from '../../src/session/save-issued'
import { createFileLocker } from '../../src/store/lock'
import { acmeEntry, expectExit, grantTypes, it, lockAttempted, loginAcme, SUITE, type World } from './world'

describe('Ctrl-C in the full CLI', SUITE, () => {
  it('refresh waiting for the lock sends nothing once the lock frees, prints no token, and leaves no temp or lock file', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const dataDir = join(world.env.XDG_DATA_HOME!, 'oauth-cli')
    const locks = join(dataDir, 'locks')
    const stored = readFileSync(join(dataDir, 'credentials', 'acme@default.json'), 'utf8')
    let cli!: ReturnType<World['spawn']>
    // This test process holds the refresh lock (alive, on this host: never taken over) while the refresh waits for it.
    await createFileLocker(locks, systemClock).withLock(refreshLockName({ provider: 'acme', profile: 'default' }), async () => {
      const attempt = lockAttempted(locks)
      try {
        cli = world.spawn(['refresh', 'acme'])
        await attempt.seen
      } finally {
        attempt.close()
      }
      cli.child.kill('SIGINT')
      // The lock frees right after the Ctrl-C: a refresh that went on regardless would take it now.
    })
    const run = await cli.exited
    expectExit(run, 130)
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('oauth-cli: cancelled')
    expect(run.stdout).toBe('')
    expect(grantTypes(world.fp)).toEqual(['authorization_code'])
    expect(readFileSync(join(dataDir, 'credentials', 'acme@default.json'), 'utf8')).toBe(stored)
    expect(readdirSync(join(dataDir, 'credentials'))).toEqual(['acme@default.json'])
    expect(readdirSync(locks)).toEqual([])
  })

  for (const command of ['refresh', 'token']) {
    it(`${command} at a provider configured by its issuer stops the discovery request it sends under the lock: it ends at once, sending nothing`, async ({ makeWorld }) => {
      const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
      await loginAcme(world)
      // From now on the token endpoint comes from the issuer's metadata, at a server that never answers.
      const held: IncomingMessage[] = []
      let arrive!: () => void
      const arrived = new Promise<void>((resolve) => (arrive = resolve))
      let abandon!: () => void
      const abandoned = new Promise<void>((resolve) => (abandon = resolve))
      const issuer = createServer((req) => {
        held.push(req)
        req.socket.on('close', abandon)
        arrive()
      })
      try {
        await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve))
        const { port } = issuer.address() as { port: number }
        world.home.writeConfig({ providers: { acme: { ...acmeEntry(world.fp), token_endpoint: undefined, issuer: `http://127.0.0.1:${port}` } } })
        const cli = world.spawn([command, 'acme'])
        await arrived
        expect(held[0]?.url).toMatch(/^\/\.well-known\//)
        cli.child.kill('SIGINT')
        // The request is abandoned (the CLI closes its connection while the server stays silent), and the CLI exits.
        await abandoned
        const run = await cli.exited
        expectExit(run, 130)
        expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('oauth-cli: cancelled')
        expect(run.stdout).toBe('')
        expect(grantTypes(world.fp)).toEqual(['authorization_code'])
        expect(readdirSync(join(world.env.XDG_DATA_HOME!, 'oauth-cli', 'locks'))).toEqual([])
      } finally {
        issuer.closeAllConnections()
        issuer.close()
      }
    })
  }
})
