/**
 * The shared store's URL is read as libpq reads it (bug hunt D4): its
 * `options` parameter (`-c search_path=…`) puts the tables where PGOPTIONS
 * would, and a parameter the tool would not act on is refused (exit 2), so two
 * runners configured two ways never see two stores. Against a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgres, type PostgresCluster } from '../support/postgres'
import { expectExit } from './world'
import { createFleet, skip } from './fleet-world'

describe.skipIf(skip)('the shared store URL\'s parameters', () => {
  let cluster: PostgresCluster

  beforeAll(async () => {
    cluster = await startPostgres()
  })
  afterAll(() => cluster?.destroy())

  it('options=-c search_path=… in the URL and PGOPTIONS reach the same schema; an unknown parameter is exit 2 naming it', async () => {
    const fleet = await createFleet(cluster, 1)
    try {
      const database = new URL(fleet.url).pathname.slice(1)
      const user = decodeURIComponent(new URL(fleet.url).username)
      await cluster.admin(`CREATE SCHEMA fleet AUTHORIZATION ${user}`, [], database)
      const runner = fleet.runners[0]!
      const viaUrl = `${fleet.url}?options=${encodeURIComponent('-c search_path=fleet')}`
      expectExit(await runner.cli(['login', 'oidc', '--with-token', '--profile', 'viaurl'], { stdin: 'static-url-token\n', env: { OAUTH_CLI_STORE: viaUrl } }), 0)
      expectExit(await runner.cli(['login', 'oidc', '--with-token', '--profile', 'viaenv'], { stdin: 'static-env-token\n', env: { PGOPTIONS: '-c search_path=fleet' } }), 0)
      const rows = await cluster.admin<{ key: string }>('SELECT key FROM fleet.oauth_cli_credentials ORDER BY key', [], database)
      expect(rows.map((row) => row.key)).toEqual(['oidc:viaenv', 'oidc:viaurl'])
      const inPublic = await cluster.admin("SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'oauth_cli_credentials'", [], database)
      expect(inPublic).toEqual([])
      const token = await runner.cli(['token', 'oidc', '--profile', 'viaenv'], { env: { OAUTH_CLI_STORE: viaUrl } })
      expectExit(token, 0)
      expect(token.stdout).toBe('static-env-token\n')
      const refused = await runner.cli(['status'], { env: { OAUTH_CLI_STORE: `${fleet.url}?target_session_attrs=read-write` } })
      expectExit(refused, 2)
      expect(refused.stderr).toContain('parameter "target_session_attrs"')
    } finally {
      await fleet.close()
    }
  }, 60_000)

  it('a search_path naming no existing schema is said as such (exit 2), not as missing CREATE rights', async () => {
    const fleet = await createFleet(cluster, 1)
    try {
      const viaUrl = `${fleet.url}?options=${encodeURIComponent('-c search_path=nosuch')}`
      const run = await fleet.runners[0]!.cli(['token', 'oidc'], { env: { OAUTH_CLI_STORE: viaUrl } })
      expectExit(run, 2)
      expect(run.stderr).toContain('none of the schemas of the connection\'s search_path exists')
      expect(run.stderr).toContain('search_path "nosuch"')
      expect(run.stderr).not.toContain('GRANT CREATE')
    } finally {
      await fleet.close()
    }
  }, 60_000)
})

describe.skipIf(!skip)('the shared store URL\'s parameters (skipped)', () => {
  it.skip(`needs PostgreSQL: ${skip}`, () => undefined)
})
