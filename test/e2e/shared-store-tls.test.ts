/**
 * The shared store over TLS, end to end: the built CLI against real PostgreSQL
 * clusters with ssl=on and a throw-away CA, as libpq's sslmode documents it
 * (https://www.postgresql.org/docs/15/libpq-ssl.html).
 *
 * - `strict`: a certificate for localhost / 127.0.0.1; pg_hba takes TLS only
 *   (`hostssl`, and `hostnossl … reject`), so a success there is a TLS connection.
 * - `lenient`: a certificate for another host name, and pg_hba takes plain text
 *   too, so a client that fell back to plain text would succeed: every refusal
 *   asserted there proves there was no fall-back.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shouldSkipPostgres, startPostgres, type PostgresCluster } from '../support/postgres'
import { runCli, type CliRun } from '../support/run-cli'
import { makeTempHome, type TempHome } from '../support/temp-home'
import { makePki, type Pki } from '../support/tls-front'
import { expectExit, parseStdout } from './world'

const skip = shouldSkipPostgres()
const PASSPHRASE = 'tls-e2e-passphrase'
const ACCESS_TOKEN = 'tls-e2e-access-token'

describe.skipIf(skip)('the shared store over TLS (libpq sslmode semantics)', () => {
  let ca: Pki
  let otherCa: Pki
  let otherName: { key: string; cert: string }
  let strict: PostgresCluster
  let lenient: PostgresCluster
  let strictDb: Awaited<ReturnType<PostgresCluster['createDatabase']>>
  let lenientDb: Awaited<ReturnType<PostgresCluster['createDatabase']>>
  const homes: TempHome[] = []

  beforeAll(async () => {
    ca = makePki()
    otherCa = makePki()
    otherName = ca.issue(['DNS:db.example.test'])
    ;[strict, lenient] = await Promise.all([
      startPostgres({
        tls: { cert: ca.cert, key: ca.key },
        hba: ['hostnossl all all 127.0.0.1/32 reject', 'hostssl all all 127.0.0.1/32 scram-sha-256'],
      }),
      startPostgres({ tls: { cert: otherName.cert, key: otherName.key }, hba: ['host all all 127.0.0.1/32 scram-sha-256'] }),
    ])
    strictDb = await strict.createDatabase()
    lenientDb = await lenient.createDatabase()
  }, 60_000)
  afterAll(() => {
    strict?.destroy()
    lenient?.destroy()
    for (const pki of [ca, otherCa]) pki?.remove()
    for (const home of homes) home.cleanup()
  })

  interface Runner {
    home: TempHome
    cli(args: string[], env?: Record<string, string>, stdin?: string): Promise<CliRun>
  }
  /** A runner's HOME on `db` (URL query appended). */
  const runner = (db: { url: string; password: string }, query = ''): Runner => {
    const home = makeTempHome()
    homes.push(home)
    home.writeConfig({
      providers: {
        acme: { authorization_endpoint: 'http://127.0.0.1:9/authorize', token_endpoint: 'http://127.0.0.1:9/token', client_id: 'acme-client', redirect_uri: 'http://127.0.0.1:0/callback' },
      },
    })
    const env = { ...home.env, OAUTH_CLI_STORE: `${db.url}${query}`, PGPASSWORD: db.password, OAUTH_CLI_PASSPHRASE: PASSPHRASE }
    return {
      home,
      cli: (args, extra = {}, stdin) => runCli(args, { env: { ...env, ...extra }, timeoutMs: 30_000, ...(stdin !== undefined ? { stdin } : {}) }),
    }
  }
  const bundle = `oauth-cli-bundle:v1:${Buffer.from(JSON.stringify({
    version: 1, provider: 'acme', profile: 'default', kind: 'oauth', access_token: ACCESS_TOKEN, token_type: 'Bearer',
    refresh_token: 'tls-e2e-refresh-token', expires_at: new Date(Date.now() + 3600_000).toISOString(), scope: [],
    client_id: 'acme-client', updated_at: new Date().toISOString(),
  })).toString('base64url')}`

  /** Nothing went to a local store: no credentials file under the runner's data directory. */
  const expectNoLocalStore = (home: TempHome): void => {
    const dir = join(home.env.XDG_DATA_HOME!, 'oauth-cli')
    expect(existsSync(dir) ? readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.json')) : []).toEqual([])
  }

  const expectRefused = (run: CliRun, db: { password: string }, code: number, ...parts: Array<string | RegExp>): void => {
    expectExit(run, code)
    expect(run.stdout).toBe('')
    for (const part of parts) expect(run.stderr).toMatch(part)
    expect(run.stderr).not.toContain(db.password)
  }

  it('verify-full with PGSSLROOTCERT: connects over TLS (the server takes nothing else), reads and writes, says nothing on stderr', async () => {
    const r = runner(strictDb)
    await expectWorks(r, { PGSSLMODE: 'verify-full', PGSSLROOTCERT: ca.caFile })
  })

  it('verify-full with ?sslmode=verify-full&sslrootcert= in the URL: the same', async () => {
    const r = runner(strictDb, `?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca.caFile)}`)
    await expectWorks(r)
  })

  it('the URL\'s sslmode wins over PGSSLMODE, as in libpq', async () => {
    const r = runner(strictDb, '?sslmode=require')
    await expectWorks(r, { PGSSLMODE: 'disable' })
  })

  it('require without a root certificate: encrypted, not verified (libpq), so a certificate for another name is accepted', async () => {
    await expectWorks(runner(lenientDb), { PGSSLMODE: 'require' })
  })

  it('the default (prefer) speaks TLS to a server that only takes TLS', async () => {
    await expectWorks(runner(strictDb))
  })

  it('verify-full against a certificate for another host name: exit 2 naming the names, no plain-text fall-back, no password', async () => {
    const r = runner({ ...lenientDb, url: lenientDb.url.replace('@', `:${lenientDb.password}@`) })
    for (const args of [['token', 'acme'], ['status']]) {
      const run = await r.cli(args, { PGSSLMODE: 'verify-full', PGSSLROOTCERT: ca.caFile })
      expectRefused(run, lenientDb, 2, `127.0.0.1:${lenient.port}/`, /certificate/i, /db\.example\.test/, /verify-ca|host name/)
    }
    expectNoLocalStore(r.home)
  })

  it('verify-full or verify-ca against an unknown CA: exit 2 saying the certificate is not trusted, pointing at PGSSLROOTCERT', async () => {
    const r = runner(lenientDb)
    for (const mode of ['verify-full', 'verify-ca']) {
      const run = await r.cli(['token', 'acme'], { PGSSLMODE: mode, PGSSLROOTCERT: otherCa.caFile })
      expectRefused(run, lenientDb, 2, `127.0.0.1:${lenient.port}/`, /not trusted|unknown CA|not signed/i, 'PGSSLROOTCERT')
    }
    expectNoLocalStore(r.home)
  })

  it('verify-ca checks the chain and not the name: a certificate for another name from the trusted CA connects', async () => {
    const r = runner(lenientDb)
    const run = await r.cli(['status', '--json'], { PGSSLMODE: 'verify-ca', PGSSLROOTCERT: ca.caFile })
    expectExit(run, 0)
    expect(run.stderr).toBe('')
  })

  it('require with a root certificate present (~/.postgresql/root.crt) verifies the chain as verify-ca does (libpq)', async () => {
    const r = runner(lenientDb)
    mkdirSync(join(r.home.home, '.postgresql'), { recursive: true })
    writeFileSync(join(r.home.home, '.postgresql', 'root.crt'), readFileSync(otherCa.caFile))
    const refused = await r.cli(['token', 'acme'], { PGSSLMODE: 'require' })
    expectRefused(refused, lenientDb, 2, /not trusted|unknown CA|not signed/i)
    writeFileSync(join(r.home.home, '.postgresql', 'root.crt'), readFileSync(ca.caFile))
    const ok = await r.cli(['status', '--json'], { PGSSLMODE: 'require' })
    expectExit(ok, 0)
  })

  it('verify-full with no root certificate anywhere: exit 2 before connecting, naming ~/.postgresql/root.crt and PGSSLROOTCERT (libpq does not fall back to other CAs)', async () => {
    const r = runner(strictDb)
    const run = await r.cli(['token', 'acme'], { PGSSLMODE: 'verify-full' })
    expectRefused(run, strictDb, 2, 'root.crt', 'PGSSLROOTCERT')
  })

  it('sslmode=disable against a server that takes only TLS: exit 2 saying the server wants TLS', async () => {
    const viaEnv = runner(strictDb)
    const viaUrl = runner(strictDb, '?sslmode=disable')
    for (const run of [await viaEnv.cli(['token', 'acme'], { PGSSLMODE: 'disable' }), await viaUrl.cli(['token', 'acme'])]) {
      expectRefused(run, strictDb, 2, `127.0.0.1:${strict.port}/`, /without TLS|no encryption/, /sslmode|PGSSLMODE/)
    }
    expectNoLocalStore(viaEnv.home)
  })

  it('PGSSLMODE from the environment is honoured as the URL would be: verify-full refuses the other name', async () => {
    const r = runner(lenientDb)
    const viaEnv = await r.cli(['token', 'acme'], { PGSSLMODE: 'verify-full', PGSSLROOTCERT: ca.caFile })
    const viaUrl = await runner(lenientDb, `?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca.caFile)}`).cli(['token', 'acme'])
    expectExit(viaEnv, 2)
    expect(viaEnv.stderr).toBe(viaUrl.stderr)
  })

  /** Writes (import), reads on the fast path (token) and lists (status): all through TLS as configured. */
  async function expectWorks(r: Runner, env: Record<string, string> = {}): Promise<void> {
    expectExit(await r.cli(['import'], env, bundle), 0)
    const token = await r.cli(['token', 'acme'], env)
    expectExit(token, 0)
    expect(token.stdout).toBe(`${ACCESS_TOKEN}\n`)
    // Nothing on stderr: no driver or Node warning (an IP address as TLS server name is one).
    expect(token.stderr).toBe('')
    const status = await r.cli(['status', '--json'], env)
    expectExit(status, 0)
    expect(status.stderr).toBe('')
    expect(parseStdout<Array<{ store: string }>>(status)).toEqual([expect.objectContaining({ provider: 'acme', store: 'postgres' })])
    expectNoLocalStore(r.home)
  }
})

describe.skipIf(!skip)('the shared store over TLS (skipped)', () => {
  it.skip(`needs PostgreSQL: ${skip}`, () => undefined)
})
