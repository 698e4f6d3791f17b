/**
 * What a shared store's marks mean to every command that reads them, against
 * a real PostgreSQL and oidc-provider (which rotates refresh tokens and revokes
 * the grant when a spent one comes back): `status` says what the next `token`
 * will do with a row whose refresh is in flight, and a runner stopped past its
 * lease never marks, un-marks or overwrites what a newer runner stored.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgres, type PostgresCluster } from '../support/postgres'
import type { CliRun } from '../support/run-cli'
import { expectExit, parseStdout } from './world'
import { createFleet, eventually, KEY, loginOnce, skip, startHoldingProxy, type Fleet, type Runner } from './fleet-world'

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

  it('a runner stopped past its lease whose refresh is then rejected adopts what the newer runner stored: it marks nothing dead and un-marks nothing', async () => {
    const fleet = await createFleet(cluster, 1)
    const proxy = await startHoldingProxy()
    try {
      await loginOnce(fleet)
      await fleet.expire()
      const sleeper = fleet.runnerVia(proxy.url).spawn(['token', 'oidc'])
      await proxy.arrived
      sleeper.child.kill('SIGSTOP')
      let newer: CliRun
      try {
        await leasesEnded(fleet)
        // Rotation not seen yet: the next runner sends the stored refresh token again (the held one never reached the provider).
        newer = await fleet.runners[0]!.cli(['token', 'oidc'])
        expectExit(newer, 0)
        // The stopped runner's answer is a rejection, waiting in its socket when it wakes up.
        proxy.answer({ error: 'invalid_grant', error_description: 'grant request is invalid' }, 400)
      } finally {
        sleeper.child.kill('SIGCONT')
      }
      const late = await sleeper.exited
      expect(late.stderr).not.toContain('marked dead')
      const found = await fleet.store.versioned.getVersioned(KEY)
      expect(found.status === 'found' ? (found.mark ?? null) : 'nothing stored').toBeNull()
      expect(`${(await fleet.stored()).access_token}\n`).toBe(newer.stdout)
      expect((await statusOf(fleet.runners[0]!)).refreshable).toBe(true)
      await fleet.expire()
      expectExit(await fleet.runners[0]!.cli(['token', 'oidc']), 0)
      expect(fleet.op.events.revokedGrants).toEqual([])
    } finally {
      await proxy.close()
      await fleet.close()
    }
  }, 90_000)

  it('a row marked dead while its refresher was stopped past its lease stays dead when that runner wakes with new tokens: they go to the emergency file, and only import (or login) heals the row', async () => {
    const fleet = await createFleet(cluster, 1)
    const proxy = await startHoldingProxy()
    try {
      await loginOnce(fleet)
      await fleet.expire()
      expectExit(await fleet.runners[0]!.cli(['token', 'oidc']), 0)
      expect((await fleet.stored()).rotation_seen).toBe(true)
      await fleet.expire()
      const sleeper = fleet.runnerVia(proxy.url).spawn(['token', 'oidc'])
      await proxy.arrived
      sleeper.child.kill('SIGSTOP')
      try {
        await leasesEnded(fleet)
        // The next runner finds the stopped one's refresh in flight at a rotating provider: dead, exit 3.
        expectExit(await fleet.runners[0]!.cli(['token', 'oidc']), 3)
        expect(await proxy.forward(`${fleet.op.issuer}/token`)).toBe(200)
        proxy.answer()
      } finally {
        sleeper.child.kill('SIGCONT')
      }
      const late = await sleeper.exited
      expectExit(late, 5)
      expect(late.stdout).toBe('')
      const issued = proxy.kept()
      for (const secret of [issued.access_token, issued.refresh_token]) expect(late.stderr).not.toContain(String(secret))
      // Not healed by the late writer: still dead for everyone.
      const found = await fleet.store.versioned.getVersioned(KEY)
      expect(found.status === 'found' ? found.mark?.kind : 'nothing stored').toBe('dead')
      expectExit(await fleet.runners[0]!.cli(['token', 'oidc']), 3)
      expect((await statusOf(fleet.runners[0]!)).refreshable).toBe(false)
      // The emergency file, imported as the message says, heals it with the tokens the provider issued.
      const bundlePath = /written to (\S+) \(mode 0600/.exec(late.stderr)?.[1]
      expect(bundlePath, late.stderr).toBeDefined()
      expectExit(await fleet.runners[0]!.cli(['import'], { stdin: readFileSync(bundlePath!, 'utf8') }), 0)
      expect((await fleet.stored()).refresh_token).toBe(issued.refresh_token)
      expect((await statusOf(fleet.runners[0]!)).refreshable).toBe(true)
      await fleet.expire()
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


