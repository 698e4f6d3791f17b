/**
 * A machine whose OAUTH_CLI_PASSPHRASE opens none of the shared store's rows
 * may not add one (no other machine could read it); a login there is refused
 * before its flow starts (bug hunt D2), not after the provider issued a grant
 * that could then only go to an emergency file. Against a real PostgreSQL and
 * oidc-provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgres, type PostgresCluster } from '../support/postgres'
import { expectExit } from './world'
import { createFleet, loginOnce, skip } from './fleet-world'

describe.skipIf(skip)('a login under another passphrase than the shared store\'s', () => {
  let cluster: PostgresCluster

  beforeAll(async () => {
    cluster = await startPostgres()
  })
  afterAll(() => cluster?.destroy())

  it('is refused (exit 2) before anything is sent to the provider, and nothing is stored or rescued', async () => {
    const fleet = await createFleet(cluster, 1)
    try {
      await loginOnce(fleet)
      const grants = fleet.op.events.grants.length
      const run = await fleet.runners[0]!.cli(['login', 'oidc', '--profile', 'other', '--no-browser', '--timeout', '20'], { env: { OAUTH_CLI_PASSPHRASE: 'a-mistyped-passphrase' } })
      expectExit(run, 2)
      expect(run.stderr).toContain('OAUTH_CLI_PASSPHRASE opens none of the credentials already there')
      expect(run.stderr).not.toContain('/authorize')
      expect(run.stderr).not.toContain('rescued')
      expect(fleet.op.events.grants.length).toBe(grants)
      expect((await fleet.store.list()).map((c) => c.profile)).toEqual(['default'])
    } finally {
      await fleet.close()
    }
  }, 60_000)
})

describe.skipIf(!skip)('a login under another passphrase than the shared store\'s (skipped)', () => {
  it.skip(`needs PostgreSQL: ${skip}`, () => undefined)
})
