/**
 * A fleet on one shared store, end to end: the built CLI in separate HOMEs
 * ("runners") against a real PostgreSQL (a private cluster) and a certified
 * provider that rotates refresh tokens and revokes the whole grant when a spent
 * one comes back (oidc-provider, in this process). Faults are real: kill -9,
 * SIGSTOP/SIGCONT, the database stopped and started again.
 */
import { readFileSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serializeCredential } from '../../src/store/codec'
import { createPassphraseBox } from '../../src/store/file-store'
import { startPostgres, type PostgresCluster } from '../support/postgres'
import { runCli, type CliRun } from '../support/run-cli'
import { makeTempHome } from '../support/temp-home'
import { expectExit, parseStdout } from './world'
import { createFleet, eventually, KEY, LEASE_SECONDS, loginOnce, skip, startHoldingProxy } from './fleet-world'

describe.skipIf(skip)('a fleet of runners sharing one PostgreSQL store', () => {
  let cluster: PostgresCluster

  beforeAll(async () => {
    cluster = await startPostgres()
  })
  afterAll(() => cluster?.destroy())

  it('refreshes exactly once per expiry for 4 runners × 8 parallel calls, every call succeeds, the grant stays alive, 5 rounds', async () => {
    // No faults here: the default lease, as a fleet would run.
    const fleet = await createFleet(cluster, 4, 30)
    try {
      await loginOnce(fleet)
      for (let round = 1; round <= 5; round++) {
        await fleet.expire()
        const before = fleet.refreshes()
        const runs = await Promise.all(fleet.runners.flatMap((runner) => Array.from({ length: 8 }, () => runner.cli(['call', 'oidc', '/me']))))
        for (const run of runs) {
          expectExit(run, 0)
          expect(parseStdout<{ sub: string }>(run).sub).toBeTruthy()
        }
        expect(fleet.refreshes() - before, `round ${round}`).toBe(1)
      }
      expect(fleet.op.events.revokedGrants).toEqual([])
      expect(fleet.op.events.grantErrors).toEqual([])
      const latest = await fleet.stored()
      expect(latest.rotation_seen).toBe(true)
      expect(await fleet.op.introspect(latest.refresh_token!)).toMatchObject({ active: true })
    } finally {
      await fleet.close()
    }
  }, 300_000)

  it('status says postgres and host:port/db, never the password; export/import copy between stores and say to remove the source', async () => {
    const fleet = await createFleet(cluster, 1)
    try {
      await loginOnce(fleet)
      const runner = fleet.runners[0]!
      const status = await runner.cli(['status', '--json'])
      expectExit(status, 0)
      const rows = parseStdout<Array<Record<string, unknown>>>(status)
      expect(rows).toEqual([expect.objectContaining({ provider: 'oidc', store: 'postgres', store_location: `127.0.0.1:${cluster.port}/${new URL(fleet.url).pathname.slice(1)}` })])
      const human = await runner.cli(['status'])
      expect(human.stdout).toContain(`postgres 127.0.0.1:${cluster.port}/`)
      for (const run of [status, human]) expect(run.stdout + run.stderr).not.toContain(runner.env.PGPASSWORD)
      const doctor = await runner.cli(['doctor', '--json'])
      const shared = parseStdout<Array<{ name: string; status: string; detail: string }>>(doctor).find((c) => c.name === 'shared store')
      expect(shared).toMatchObject({ status: 'ok', detail: expect.stringContaining('schema version 1') })
      expect(doctor.stdout).not.toContain(runner.env.PGPASSWORD)

      // Shared → a local file store (another HOME), and back into the shared store.
      const exported = await runner.cli(['export', 'oidc'])
      expectExit(exported, 0)
      const local = makeTempHome()
      try {
        expectExit(await runCli(['import'], { env: local.env, stdin: exported.stdout }), 0)
        const back = await runCli(['export', 'oidc'], { env: local.env })
        expectExit(back, 0)
        const imported = await runner.cli(['import'], { stdin: back.stdout })
        expectExit(imported, 0)
        expect(imported.stderr).toContain('shared store at 127.0.0.1:')
        expect(imported.stderr).toContain('oauth-cli logout oidc --local')
      } finally {
        local.cleanup()
      }
    } finally {
      await fleet.close()
    }
  }, 60_000)

  it('a holder killed (-9) before its refresh reached the provider delays the others by at most one lease; nothing is lost', async () => {
    const fleet = await createFleet(cluster, 2)
    const proxy = await startHoldingProxy()
    try {
      const first = await loginOnce(fleet)
      await fleet.expire()
      const doomed = fleet.runnerVia(proxy.url).spawn(['token', 'oidc'])
      await proxy.arrived
      doomed.child.kill('SIGKILL')
      await doomed.exited.catch(() => undefined)
      const started = Date.now()
      const runs = await Promise.all(fleet.runners.map((runner) => runner.cli(['token', 'oidc'])))
      const took = Date.now() - started
      for (const run of runs) expectExit(run, 0)
      expect(new Set(runs.map((r) => r.stdout)).size).toBe(1)
      expect(took).toBeLessThan((LEASE_SECONDS + 10) * 1000)
      expect(fleet.refreshes()).toBe(1)
      expect(fleet.op.events.revokedGrants).toEqual([])
      expect((await fleet.stored()).refresh_token).not.toBe(first.refresh_token)
    } finally {
      await proxy.close()
      await fleet.close()
    }
  }, 60_000)

  it('a holder killed after the provider answered (a rotated token lost with it): the others exit 3 with the login hint and send nothing', async () => {
    const fleet = await createFleet(cluster, 2)
    const proxy = await startHoldingProxy()
    try {
      await loginOnce(fleet)
      // One refresh first, so the fleet has seen that this provider rotates refresh tokens.
      await fleet.expire()
      expectExit(await fleet.runners[0]!.cli(['token', 'oidc']), 0)
      expect((await fleet.stored()).rotation_seen).toBe(true)
      await fleet.expire()
      const doomed = fleet.runnerVia(proxy.url).spawn(['token', 'oidc'])
      await proxy.arrived
      expect(await proxy.forward(`${fleet.op.issuer}/token`)).toBe(200)
      doomed.child.kill('SIGKILL')
      await doomed.exited.catch(() => undefined)
      const before = fleet.op.events.grants.length + fleet.op.events.grantErrors.length
      const runs = await Promise.all(fleet.runners.map((runner) => runner.cli(['token', 'oidc'])))
      for (const run of runs) {
        expectExit(run, 3)
        expect(run.stdout).toBe('')
        expect(run.stderr).toContain('run: oauth-cli login oidc')
      }
      // Nobody replayed the spent refresh token (which would have revoked the grant).
      expect(fleet.op.events.grants.length + fleet.op.events.grantErrors.length).toBe(before)
      expect(fleet.op.events.revokedGrants).toEqual([])
      // A login clears the mark.
      expectExit(await fleet.runners[1]!.cli(['login', 'oidc']), 0)
      expectExit(await fleet.runners[0]!.cli(['call', 'oidc', '/me']), 0)
    } finally {
      await proxy.close()
      await fleet.close()
    }
  }, 60_000)

  it('a credential marked dead after a holder was killed mid-refresh is "refreshable": false in status, as token exits 3; a login makes it refreshable again', async () => {
    const fleet = await createFleet(cluster, 1)
    const proxy = await startHoldingProxy()
    const refreshable = async (): Promise<unknown> => {
      const status = await fleet.runners[0]!.cli(['status', '--json'])
      expectExit(status, 0)
      return parseStdout<Array<{ refreshable: boolean }>>(status)[0]?.refreshable
    }
    try {
      await loginOnce(fleet)
      await fleet.expire()
      expectExit(await fleet.runners[0]!.cli(['token', 'oidc']), 0)
      expect((await fleet.stored()).rotation_seen).toBe(true)
      await fleet.expire()
      const doomed = fleet.runnerVia(proxy.url).spawn(['token', 'oidc'])
      await proxy.arrived
      expect(await proxy.forward(`${fleet.op.issuer}/token`)).toBe(200)
      doomed.child.kill('SIGKILL')
      await doomed.exited.catch(() => undefined)
      expectExit(await fleet.runners[0]!.cli(['token', 'oidc']), 3)
      expect(await refreshable()).toBe(false)
      const human = await fleet.runners[0]!.cli(['status', 'oidc'])
      expectExit(human, 0)
      expect(human.stdout).toMatch(/^oidc\s.*\bno\b/m)
      expectExit(await fleet.runners[0]!.cli(['login', 'oidc']), 0)
      expect(await refreshable()).toBe(true)
    } finally {
      await proxy.close()
      await fleet.close()
    }
  }, 60_000)

  it('a refresh at a rotating provider that hits its deadline says the next command will refuse and to log in, and the next one does exactly that', async () => {
    const fleet = await createFleet(cluster, 1)
    const proxy = await startHoldingProxy()
    try {
      await loginOnce(fleet)
      // One refresh first, so the fleet has seen that this provider rotates refresh tokens.
      await fleet.expire()
      expectExit(await fleet.runners[0]!.cli(['token', 'oidc']), 0)
      expect((await fleet.stored()).rotation_seen).toBe(true)
      await fleet.expire()
      // The token endpoint never answers: the refresh ends at its deadline.
      const late = await fleet.runnerVia(proxy.url).cli(['token', 'oidc'], { env: { OAUTH_CLI_REFRESH_DEADLINE_MS: '2000' } })
      expectExit(late, 5)
      expect(late.stdout).toBe('')
      expect(late.stderr).toContain('did not finish within 2 s')
      expect(late.stderr).not.toMatch(/try again/)
      expect(late.stderr).toMatch(/will not be sent again/)
      expect(late.stderr).toContain('the next command exits 3')
      expect(late.stderr).toContain('run: oauth-cli login oidc')
      const before = fleet.op.events.grants.length + fleet.op.events.grantErrors.length
      const next = await fleet.runners[0]!.cli(['token', 'oidc'])
      expectExit(next, 3)
      expect(next.stderr).toContain('run: oauth-cli login oidc')
      expect(fleet.op.events.grants.length + fleet.op.events.grantErrors.length).toBe(before)
      expectExit(await fleet.runners[0]!.cli(['login', 'oidc']), 0)
      expectExit(await fleet.runners[0]!.cli(['call', 'oidc', '/me']), 0)
    } finally {
      await proxy.close()
      await fleet.close()
    }
  }, 60_000)

  it('an unusable refresh answer handing back the refresh token sent settles the refresh: the next command refreshes with it instead of refusing', async () => {
    const fleet = await createFleet(cluster, 1)
    const proxy = await startHoldingProxy()
    try {
      await loginOnce(fleet)
      // One refresh first, so the fleet has seen that this provider rotates refresh tokens.
      await fleet.expire()
      expectExit(await fleet.runners[0]!.cli(['token', 'oidc']), 0)
      expect((await fleet.stored()).rotation_seen).toBe(true)
      await fleet.expire()
      const sent = (await fleet.stored()).refresh_token!
      const bad = fleet.runnerVia(proxy.url).spawn(['token', 'oidc'])
      await proxy.arrived
      // Never forwarded: the provider did not see it, and the answer says the refresh token sent is still the one.
      proxy.answer({ access_token: 'AT1\r\nX-Injected: 1', refresh_token: sent, token_type: 'Bearer', expires_in: 3600 })
      const answered = await bad.exited
      expectExit(answered, 1)
      expect(answered.stderr).toMatch(/access_token with characters a token may not hold/)
      expect(answered.stderr).not.toMatch(/exits 3|Injected|AT1/)
      // No refresh-in-flight mark is left behind for the next holder to refuse on.
      const found = await fleet.store.versioned.getVersioned(KEY)
      expect(found.status).toBe('found')
      expect(found.status === 'found' ? (found.mark ?? undefined) : 'nothing stored').toBeUndefined()
      const next = await fleet.runners[0]!.cli(['token', 'oidc'])
      expectExit(next, 0)
      expect(next.stdout).toBe(`${(await fleet.stored()).access_token}\n`)
      expect(fleet.op.events.revokedGrants).toEqual([])
    } finally {
      await proxy.close()
      await fleet.close()
    }
  }, 60_000)

  it('an unusable refresh answer with no refresh token in it settles the refresh: the next command refreshes with the stored one instead of refusing', async () => {
    const fleet = await createFleet(cluster, 1)
    const proxy = await startHoldingProxy()
    try {
      await loginOnce(fleet)
      // One refresh first, so the fleet has seen that this provider rotates refresh tokens.
      await fleet.expire()
      expectExit(await fleet.runners[0]!.cli(['token', 'oidc']), 0)
      expect((await fleet.stored()).rotation_seen).toBe(true)
      await fleet.expire()
      const sent = (await fleet.stored()).refresh_token!
      const bad = fleet.runnerVia(proxy.url).spawn(['token', 'oidc'])
      await proxy.arrived
      // Never forwarded: the provider did not see it, and the answer issued no refresh token in place of the one sent (RFC 6749 §6).
      proxy.answer({ access_token: 'AT1\r\nX-Injected: 1', token_type: 'Bearer', expires_in: 3600 })
      const answered = await bad.exited
      expectExit(answered, 1)
      expect(answered.stderr).toMatch(/access_token with characters a token may not hold/)
      expect(answered.stderr).not.toMatch(/exits 3|Injected|AT1/)
      // No refresh-in-flight mark is left behind for the next holder to refuse on.
      const found = await fleet.store.versioned.getVersioned(KEY)
      expect(found.status).toBe('found')
      expect(found.status === 'found' ? (found.mark ?? undefined) : 'nothing stored').toBeUndefined()
      expect((await fleet.stored()).refresh_token).toBe(sent)
      const next = await fleet.runners[0]!.cli(['token', 'oidc'])
      expectExit(next, 0)
      expect(next.stdout).toBe(`${(await fleet.stored()).access_token}\n`)
      expect(fleet.op.events.revokedGrants).toEqual([])
    } finally {
      await proxy.close()
      await fleet.close()
    }
  }, 60_000)

  it('a holder stopped past its lease: another refreshes; resumed, its late write is refused and the newest token stays', async () => {
    const fleet = await createFleet(cluster, 1)
    const proxy = await startHoldingProxy()
    try {
      await loginOnce(fleet)
      await fleet.expire()
      const sleeper = fleet.runnerVia(proxy.url).spawn(['token', 'oidc'])
      await proxy.arrived
      sleeper.child.kill('SIGSTOP')
      try {
        const other = await fleet.runners[0]!.cli(['token', 'oidc'])
        expectExit(other, 0)
        const newest = await fleet.stored()
        expect(`${newest.access_token}\n`).toBe(other.stdout)
        // The stopped holder's answer arrives while it sleeps, then it wakes up.
        proxy.answer({ access_token: 'late-access-token', refresh_token: 'late-refresh-token', token_type: 'Bearer', expires_in: 3600 })
      } finally {
        sleeper.child.kill('SIGCONT')
      }
      const late = await sleeper.exited
      expect(late.stdout).not.toContain('late-access-token')
      const after = await fleet.stored()
      expect(after.access_token).not.toBe('late-access-token')
      expect(after.refresh_token).not.toBe('late-refresh-token')
      expect(fleet.refreshes()).toBe(1)
      expect(fleet.op.events.revokedGrants).toEqual([])
      expectExit(await fleet.runners[0]!.cli(['call', 'oidc', '/me']), 0)
    } finally {
      await proxy.close()
      await fleet.close()
    }
  }, 60_000)

  it('logout by a role that may not delete from the shared store revokes nothing and says so (exit 2); the credential still works', async () => {
    const fleet = await createFleet(cluster, 1)
    try {
      const first = await loginOnce(fleet)
      const url = new URL(fleet.url)
      await cluster.admin(`REVOKE DELETE ON oauth_cli_credentials FROM "${decodeURIComponent(url.username)}"`, [], url.pathname.slice(1))
      const runner = fleet.runners[0]!
      const logout = await runner.cli(['logout', 'oidc'])
      expectExit(logout, 2)
      expect(logout.stderr).toMatch(/may not delete/)
      expect(logout.stderr).toMatch(/nothing was revoked/)
      expect(await fleet.op.introspect(first.refresh_token!)).toMatchObject({ active: true })
      expect(await fleet.op.introspect(first.access_token)).toMatchObject({ active: true })
      const status = await runner.cli(['status', '--json'])
      expect(parseStdout<Array<Record<string, unknown>>>(status)[0]).toMatchObject({ refreshable: true })
      await fleet.expire()
      expectExit(await runner.cli(['token', 'oidc']), 0)
    } finally {
      await fleet.close()
    }
  }, 60_000)

  it('a logout whose delete fails after it revoked marks the row dead: the next command asks for a login without a token request', async () => {
    const fleet = await createFleet(cluster, 1)
    try {
      await loginOnce(fleet)
      const database = new URL(fleet.url).pathname.slice(1)
      await cluster.admin(`CREATE FUNCTION no_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'deletes are off'; END $$`, [], database)
      await cluster.admin('CREATE TRIGGER no_delete BEFORE DELETE ON oauth_cli_credentials FOR EACH ROW EXECUTE FUNCTION no_delete()', [], database)
      const runner = fleet.runners[0]!
      const logout = await runner.cli(['logout', 'oidc'])
      expect(logout.exitCode).not.toBe(0)
      const errorsBefore = fleet.op.events.grantErrors.length
      const token = await runner.cli(['refresh', 'oidc'])
      expectExit(token, 3)
      expect(token.stderr).toContain('oauth-cli login oidc')
      // No refresh token was spent on the revoked grant: the dead mark answered.
      expect(fleet.op.events.grantErrors.slice(errorsBefore)).toEqual([])
    } finally {
      await fleet.close()
    }
  }, 60_000)

  it('a grant revoked at the provider: one runner learns it, the rest exit 3 at once without a token request', async () => {
    const fleet = await createFleet(cluster, 4)
    try {
      const first = await loginOnce(fleet)
      // Someone spent the stored refresh token outside the fleet (a stray copy): the next use is a reuse.
      expect(await fleet.op.refreshDirectly(first.refresh_token!)).toMatchObject({ status: 200 })
      const errorsBefore = fleet.op.events.grantErrors.length
      await fleet.expire()
      const runs = await Promise.all(fleet.runners.flatMap((runner) => [runner.cli(['token', 'oidc']), runner.cli(['token', 'oidc'])]))
      for (const run of runs) {
        expectExit(run, 3)
        expect(run.stderr).toContain('run: oauth-cli login oidc')
      }
      // Exactly one token request reached the provider; every other runner read the dead mark.
      expect(fleet.op.events.grantErrors.slice(errorsBefore)).toEqual(['invalid_grant'])
      const late = await fleet.runners[2]!.cli(['token', 'oidc'])
      expectExit(late, 3)
      expect(fleet.op.events.grantErrors.slice(errorsBefore)).toEqual(['invalid_grant'])
    } finally {
      await fleet.close()
    }
  }, 60_000)

  it('a 500 whose body says invalid_grant marks nothing dead: that runner exits 5, and the next one refreshes once the server answers properly', async () => {
    const fleet = await createFleet(cluster, 1)
    const proxy = await startHoldingProxy()
    try {
      await loginOnce(fleet)
      await fleet.expire()
      const holder = fleet.runnerVia(proxy.url).spawn(['token', 'oidc'])
      await proxy.arrived
      proxy.answer({ error: 'invalid_grant', error_description: 'backend unavailable' }, 500)
      const run = await holder.exited
      expectExit(run, 5)
      expect(run.stderr).toContain('HTTP 500')
      expect(run.stderr).not.toContain('login oidc')
      const next = await fleet.runners[0]!.cli(['token', 'oidc'])
      expectExit(next, 0)
      expect(next.stdout).toBe(`${(await fleet.stored()).access_token}\n`)
      expect(fleet.refreshes()).toBe(1)
    } finally {
      await proxy.close()
      await fleet.close()
    }
  }, 60_000)

  it('PostgreSQL stopped mid-run: exit 5 naming host and port, never a local fall-back; restarted, everything works and nothing is lost', async () => {
    const fleet = await createFleet(cluster, 1)
    try {
      const before = await loginOnce(fleet)
      const runner = fleet.runners[0]!
      cluster.stop()
      try {
        for (const args of [['token', 'oidc'], ['status'], ['call', 'oidc', '/me']]) {
          const run = await runner.cli(args)
          expectExit(run, 5)
          expect(run.stderr).toContain(`127.0.0.1 port ${cluster.port}`)
          expect(run.stderr).not.toContain(runner.env.PGPASSWORD)
        }
      } finally {
        cluster.start()
      }
      const token = await runner.cli(['token', 'oidc'])
      expectExit(token, 0)
      expect(token.stdout).toBe(`${before.access_token}\n`)
    } finally {
      await fleet.close()
    }
  }, 60_000)

  it('the holder\'s connection killed (pg_terminate_backend) while it holds the lease: the issued tokens are stored over a new connection, exit 0', async () => {
    const fleet = await createFleet(cluster, 1)
    const proxy = await startHoldingProxy()
    try {
      await loginOnce(fleet)
      await fleet.expire()
      const [{ since } = { since: "" }] = await cluster.admin<{ since: string }>('SELECT now()::text AS since')
      const holder = fleet.runnerVia(proxy.url).spawn(['token', 'oidc'])
      await proxy.arrived
      // The holder's own backend (the test's store connected before `since`).
      const killed = await cluster.admin<{ pid: number }>(
        "WITH holder AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE application_name = 'oauth-cli' AND backend_start > $1::timestamptz) " +
          'SELECT pid FROM holder WHERE pg_terminate_backend(pid)',
        [since],
      )
      expect(killed).toHaveLength(1)
      await eventually(async () => (await cluster.admin('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [killed[0]!.pid])).length === 0, 10_000, 'the backend to exit')
      expect(await proxy.forward(`${fleet.op.issuer}/token`)).toBe(200)
      proxy.answer()
      const run = await holder.exited
      expectExit(run, 0)
      const issued = proxy.kept()
      expect(run.stdout).toBe(`${String(issued.access_token)}\n`)
      const stored = await fleet.stored()
      expect([stored.access_token, stored.refresh_token]).toEqual([issued.access_token, issued.refresh_token])
      // The mark and the lease are gone: the next refresh needs no wait and no login.
      await fleet.expire()
      expectExit(await fleet.runners[0]!.cli(['token', 'oidc']), 0)
      expect(fleet.op.events.revokedGrants).toEqual([])
    } finally {
      await proxy.close()
      await fleet.close()
    }
  }, 60_000)

  it('PostgreSQL stopped between a refresh\'s read and its write: the issued tokens go to the emergency bundle, exit 5 naming host and port; restored from it, the fleet carries on within one lease', async () => {
    const fleet = await createFleet(cluster, 1)
    const proxy = await startHoldingProxy()
    try {
      await loginOnce(fleet)
      await fleet.expire()
      const via = fleet.runnerVia(proxy.url)
      const holder = via.spawn(['token', 'oidc'])
      await proxy.arrived
      cluster.stop()
      let run: CliRun
      try {
        expect(await proxy.forward(`${fleet.op.issuer}/token`)).toBe(200)
        proxy.answer()
        run = await holder.exited
      } finally {
        cluster.start()
      }
      const issued = proxy.kept()
      expectExit(run, 5)
      expect(run.stdout).toBe('')
      expect(run.stderr).toContain(`127.0.0.1 port ${cluster.port}`)
      for (const secret of [issued.access_token, issued.refresh_token, via.env.PGPASSWORD]) expect(run.stderr).not.toContain(String(secret))
      const bundlePath = /written to (\S+) \(mode 0600/.exec(run.stderr)?.[1]
      expect(bundlePath, run.stderr).toBeDefined()
      // The way back the message gives, as given (the same OAUTH_CLI_STORE).
      const restore = /restore them with (oauth-cli import[^<]*)</.exec(run.stderr)?.[1]?.trim().split(/\s+/).slice(1)
      expect(restore, run.stderr).toBeDefined()
      const imported = await via.cli(restore!, { stdin: readFileSync(bundlePath!, 'utf8') })
      expectExit(imported, 0)
      const stored = await fleet.stored()
      expect([stored.access_token, stored.refresh_token]).toEqual([issued.access_token, issued.refresh_token])
      // The dead holder's lease is not in the way for longer than one lease.
      await fleet.expire()
      const started = Date.now()
      const next = await fleet.runners[0]!.cli(['token', 'oidc'])
      expectExit(next, 0)
      expect(Date.now() - started).toBeLessThan((LEASE_SECONDS + 5) * 1000)
      expect(fleet.op.events.revokedGrants).toEqual([])
      expect(fleet.refreshes()).toBe(2)
    } finally {
      await proxy.close()
      await fleet.close()
    }
  }, 60_000)

  it('a database that does not answer: exit 5 naming host and port within PGCONNECT_TIMEOUT, the same message on every path', async () => {
    const fleet = await createFleet(cluster, 1)
    // Accepts TCP and never speaks, as a firewall that drops packets or a hung server looks.
    const held: import('node:net').Socket[] = []
    const blackHole = createNetServer((socket) => void held.push(socket))
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve))
    const port = (blackHole.address() as { port: number }).port
    try {
      const env = { OAUTH_CLI_STORE: `postgres://ci@127.0.0.1:${port}/oauth`, PGCONNECT_TIMEOUT: '3' }
      const runner = fleet.runners[0]!
      const started = Date.now()
      const token = await runner.cli(['token', 'oidc'], { env })
      expect(Date.now() - started).toBeLessThan(5000)
      expectExit(token, 5)
      expect(token.stderr).toContain(`127.0.0.1 port ${port}`)
      const refresh = await runner.cli(['refresh', 'oidc'], { env })
      expectExit(refresh, 5)
      expect(token.stderr).toBe(refresh.stderr)
    } finally {
      for (const socket of held) socket.destroy()
      blackHole.close()
      await fleet.close()
    }
  }, 60_000)

  it('one row under another passphrase: status lists the rest and names it (exit 0); a machine whose passphrase opens no row may not add one', async () => {
    const fleet = await createFleet(cluster, 1)
    try {
      const runner = fleet.runners[0]!
      expectExit(await runner.cli(['login', 'oidc', '--with-token'], { stdin: 'static-default-token\n' }), 0)
      expectExit(await runner.cli(['login', 'oidc', '--with-token', '--profile', 'other'], { stdin: 'static-other-token\n' }), 0)
      // A mistyped passphrase on one machine: its new row is refused, nothing is written.
      const typo = await runner.cli(['login', 'oidc', '--with-token', '--profile', 'ci2'], { stdin: 'static-ci2-token\n', env: { OAUTH_CLI_PASSPHRASE: 'fleet-e2e-passphrasf' } })
      expectExit(typo, 2)
      expect(typo.stderr).toContain('OAUTH_CLI_PASSPHRASE opens none of the credentials already there')
      expect(typo.stderr).toContain('every machine sharing the store')
      expect(typo.stderr).not.toContain('static-ci2-token')
      expect((await fleet.store.list()).map((c) => c.profile)).toEqual(['default', 'other'])
      // Such a row written all the same (by an older version): the others stay listed, the bad one is named.
      const foreign = await createPassphraseBox('another-passphrase').seal(serializeCredential({ ...(await fleet.stored()), profile: 'ci2' }))
      await cluster.admin('INSERT INTO oauth_cli_credentials (key, version, ciphertext) VALUES ($1, 1, $2)', ['oidc:ci2', JSON.stringify(foreign)], new URL(fleet.url).pathname.slice(1))
      const status = await runner.cli(['status'])
      expectExit(status, 0)
      expect(status.stdout).toMatch(/oidc\s+default/)
      expect(status.stdout).toMatch(/oidc\s+other/)
      expect(status.stdout).not.toContain('ci2')
      expect(status.stderr).toContain('warning')
      expect(status.stderr).toContain('oidc (profile ci2)')
      expect(status.stderr).toContain('written under another passphrase')
      expect(status.stderr).toContain('every machine sharing the store')
      expect(status.stderr).not.toContain('file store')
      const json = await runner.cli(['status', '--json'])
      expectExit(json, 0)
      expect(parseStdout<Array<{ profile: string }>>(json).map((row) => row.profile)).toEqual(['default', 'other'])
      // Asked about by name, it is that row's error, with the fleet's fix.
      const asked = await runner.cli(['status', 'oidc', '--profile', 'ci2'])
      expectExit(asked, 2)
      expect(asked.stderr).toContain('every machine sharing the store')
      expect(asked.stderr).not.toContain('file store')
    } finally {
      await fleet.close()
    }
  }, 60_000)

  it('refuses to run without OAUTH_CLI_PASSPHRASE (exit 2), login included, before any request', async () => {
    const fleet = await createFleet(cluster, 1)
    try {
      const runner = fleet.runners[0]!
      for (const args of [['login', 'oidc'], ['token', 'oidc'], ['status']]) {
        const run = await runner.cli(args, { env: { OAUTH_CLI_PASSPHRASE: '' } })
        expectExit(run, 2)
        expect(run.stderr).toContain('OAUTH_CLI_PASSPHRASE')
      }
      expect(fleet.op.events.grants).toEqual([])
      const connections = await cluster.admin<{ n: string }>(
        "SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name = 'oauth-cli'")
      expect(connections).toEqual([{ n: '1' }]) // the test's own store only
    } finally {
      await fleet.close()
    }
  }, 60_000)
})

describe.skipIf(!skip)('a fleet of runners sharing one PostgreSQL store (skipped)', () => {
  it.skip(`needs PostgreSQL: ${skip}`, () => undefined)
})

