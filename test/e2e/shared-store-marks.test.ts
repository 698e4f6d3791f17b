/**
 * What a shared store's marks mean to every command that reads them, against
 * a real PostgreSQL and oidc-provider (which rotates refresh tokens and revokes
 * the grant when a spent one comes back): `status` says what the next `token`
 * will do with a row whose refresh is in flight, and a runner stopped past its
 * lease never marks, un-marks or overwrites what a newer runner stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgres, type PostgresCluster } from '../support/postgres'
import type { CliRun } from '../support/run-cli'
import { expectExit, parseStdout } from './world'
import { createFleet, eventually, loginOnce, skip, startHoldingProxy, type Fleet, type Runner } from './fleet-world'

describe.skipIf(skip)('shared-store marks as status and the next runner read them', () => {
  let cluster: PostgresCluster

  beforeAll(async () => {
    cluster = await startPostgres()
  })
  afterAll(() => cluster?.destroy())

  const database = (fleet: Fleet): string => new URL(fleet.url).pathname.slice(1)
  /** Resolves once no lease in the fleet's database is live (on the database's clock). */
  const leasesEnded = (fleet: Fleet): Promise<void> =>
    eventually(
      async () => (await cluster.admin('SELECT 1 FROM oauth_cli_leases WHERE expires_at > now()', [], database(fleet))).length === 0,
      15_000,
      'every lease to end',
    )
  const statusOf = async (runner: Runner): Promise<{ run: CliRun; refreshable: unknown }> => {
    const run = await runner.cli(['status', '--json'])
    expectExit(run, 0)
    return { run, refreshable: parseStdout<Array<{ refreshable: boolean }>>(run)[0]?.refreshable }
  }
  const tokenRequests = (fleet: Fleet): number => fleet.op.events.grants.length + fleet.op.events.grantErrors.length

  it('status: a live holder\'s in-flight row is refreshable (a refresh in progress); once that holder is dead (lease ended) at a rotating provider, not refreshable with the login, as token then exits 3', async () => {
    const fleet = await createFleet(cluster, 1)
    const proxy = await startHoldingProxy()
    try {
      await loginOnce(fleet)
      // One refresh first, so the fleet has seen that this provider rotates refresh tokens.
      await fleet.expire()
      expectExit(await fleet.runners[0]!.cli(['token', 'oidc']), 0)
      expect((await fleet.stored()).rotation_seen).toBe(true)
      await fleet.expire()
      const holder = fleet.runnerVia(proxy.url).spawn(['token', 'oidc'])
      await proxy.arrived
      // Its holder alive and renewing: a refresh in progress, which the next command waits for.
      const live = await statusOf(fleet.runners[0]!)
      expect(live.refreshable).toBe(true)
      expect(live.run.stderr).not.toContain('login')
      // The provider answers (rotating the refresh token), and the holder dies with the answer.
      expect(await proxy.forward(`${fleet.op.issuer}/token`)).toBe(200)
      holder.child.kill('SIGKILL')
      await holder.exited.catch(() => undefined)
      await leasesEnded(fleet)
      const before = tokenRequests(fleet)
      const dead = await statusOf(fleet.runners[0]!)
      expect(dead.refreshable).toBe(false)
      expect(dead.run.stderr).toContain('run: oauth-cli login oidc')
      const human = await fleet.runners[0]!.cli(['status'])
      expectExit(human, 0)
      expect(human.stdout).toMatch(/^oidc\s.*\bno\b/m)
      expect(human.stderr).toMatch(/rotates refresh tokens/)
      expect(human.stderr).toContain('run: oauth-cli login oidc')
      // status sent nothing, and token does what status said.
      expect(tokenRequests(fleet)).toBe(before)
      const token = await fleet.runners[0]!.cli(['token', 'oidc'])
      expectExit(token, 3)
      expect(token.stderr).toContain('run: oauth-cli login oidc')
      expect((await statusOf(fleet.runners[0]!)).refreshable).toBe(false)
      expect(fleet.op.events.revokedGrants).toEqual([])
      expectExit(await fleet.runners[0]!.cli(['login', 'oidc']), 0)
      expect((await statusOf(fleet.runners[0]!)).refreshable).toBe(true)
    } finally {
      await proxy.close()
      await fleet.close()
    }
  }, 90_000)

  it('status: a dead holder\'s in-flight row where rotation was never seen stays refreshable, as token sends the refresh token again and succeeds', async () => {
    const fleet = await createFleet(cluster, 1)
    const proxy = await startHoldingProxy()
    try {
      await loginOnce(fleet)
      await fleet.expire()
      const holder = fleet.runnerVia(proxy.url).spawn(['token', 'oidc'])
      await proxy.arrived
      holder.child.kill('SIGKILL')
      await holder.exited.catch(() => undefined)
      await leasesEnded(fleet)
      const status = await statusOf(fleet.runners[0]!)
      expect(status.refreshable).toBe(true)
      expect(status.run.stderr).toBe('')
      expectExit(await fleet.runners[0]!.cli(['token', 'oidc']), 0)
      expect(fleet.op.events.revokedGrants).toEqual([])
    } finally {
      await proxy.close()
      await fleet.close()
    }
  }, 90_000)
})

describe.skipIf(!skip)('shared-store marks (skipped)', () => {
  it.skip(`needs PostgreSQL: ${skip}`, () => undefined)
})


