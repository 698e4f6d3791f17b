/**
 * Ctrl-C in the full CLI while a refresh waits for the lock (`refresh`, which
 * the fast build never answers): as in the fast build (fast-refresh.test.ts),
 * the refresh stops where it is. It used to be reported "cancelled" while it
 * went on in the background: once the lock freed it sent the refresh token,
 * and was cut wherever the process then ended.
 */
import { readdirSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { acmeEntry, expectCtrlCWhileLockHeldChangesNothing, expectExit, grantTypes, it, loginAcme, SUITE } from './world'

describe('Ctrl-C in the full CLI', SUITE, () => {
  it('refresh waiting for the lock sends nothing once the lock frees, prints no token, and leaves no temp or lock file', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    await expectCtrlCWhileLockHeldChangesNothing(world, ['refresh', 'acme'])
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
