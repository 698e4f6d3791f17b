/**
 * A private PostgreSQL cluster for the shared-store tests: `initdb` into a temp
 * directory, `pg_ctl start` on 127.0.0.1 at a free port below 32768 (the
 * ephemeral range starts there, and other engineers' test runs may hold ports
 * too, so the port is probed, not fixed), a role with a password and a database
 * of its own. Run as the `postgres` user when the tests run as root (initdb
 * refuses root). Never a mock: the tests need real compare-and-set, a real
 * server clock and real connection failures.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/** How a test wants the server: TLS and the host lines of pg_hba.conf. */
export interface PostgresOptions {
  /** ssl=on with this certificate and key (PEM), e.g. from tls-front's makePki. */
  tls?: { cert: string; key: string }
  /**
   * The TCP lines of pg_hba.conf, in order (e.g. `hostssl all all 127.0.0.1/32 scram-sha-256`,
   * `hostnossl all all 127.0.0.1/32 reject`). Default: initdb's (`host … scram-sha-256`).
   * The superuser's trust over the private socket directory is always kept.
   */
  hba?: string[]
}

export interface PostgresCluster {
  host: '127.0.0.1'
  port: number
  /** A superuser connection string (trust over the private socket directory). */
  adminSocketDir: string
  /** Runs SQL as the superuser in `database` (default: postgres). */
  admin<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<T[]>
  /** A new database owned by a new login role with a password: the URL has no password (pass `password` as PGPASSWORD). */
  createDatabase(name?: string): Promise<{ url: string; user: string; password: string; database: string }>
  /** Plain-text dump of one database, as an administrator's backup would read it. */
  dump(database: string): string
  stop(): void
  start(): void
  destroy(): void
}

/** Why the PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresUnavailableReason(): string | undefined {
  return findBinDir() ? undefined : 'PostgreSQL server binaries (initdb, pg_ctl) not found; install Debian\'s postgresql or set OAUTH_CLI_PG_BINDIR'
}

/** Skip only where PostgreSQL is absent and CI did not ask for these tests (OAUTH_CLI_REQUIRE_POSTGRES). */
export function shouldSkipPostgres(): string | false {
  const reason = postgresUnavailableReason()
  if (!reason) return false
  if (process.env.OAUTH_CLI_REQUIRE_POSTGRES) throw new Error(`OAUTH_CLI_REQUIRE_POSTGRES is set but ${reason}`)
  return reason
}

function findBinDir(): string | undefined {
  const candidates: string[] = []
  if (process.env.OAUTH_CLI_PG_BINDIR) candidates.push(process.env.OAUTH_CLI_PG_BINDIR)
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    for (const version of readdirSync(root).sort((a, b) => Number(b) - Number(a))) candidates.push(join(root, version, 'bin'))
  }
  const fromPath = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' })
  if (fromPath.status === 0) candidates.push(fromPath.stdout.trim())
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')))
}

const isRoot = (): boolean => process.getuid?.() === 0

/** Runs a server binary, as `postgres` when we are root. */
function runPg(bin: string, args: string[]): string {
  const [file, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args]
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

function ownByPostgres(path: string): void {
  if (!isRoot()) return
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
  chownSync(path, uid, gid)
}

/** A port below 32768 nobody listens on now (probed; the start retries on a race). */
async function freeLowPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer()
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
    })
    if (free) return port
  }
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresCluster> {
  const bin = findBinDir()
  if (!bin) throw new Error(postgresUnavailableReason())
  const base = mkdtempSync(join(tmpdir(), 'oauth-cli-pg-'))
  chmodSync(base, 0o755)
  const data = join(base, 'data')
  const sockets = join(base, 'sockets')
  mkdirSync(sockets)
  ownByPostgres(base)
  ownByPostgres(sockets)
  runPg(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C'])
  const settings: string[] = []
  if (options.tls) {
    // The server refuses a key that others can read, and must own it.
    for (const [name, text, mode] of [['server.crt', options.tls.cert, 0o644], ['server.key', options.tls.key, 0o600]] as const) {
      writeFileSync(join(data, name), text, { mode })
      chmodSync(join(data, name), mode)
      ownByPostgres(join(data, name))
    }
    settings.push('-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key')
  }
  if (options.hba) {
    writeFileSync(join(data, 'pg_hba.conf'), `local all all trust\n${options.hba.join('\n')}\n`)
    ownByPostgres(join(data, 'pg_hba.conf'))
  }
  let port = 0
  const start = (): void => {
    runPg(join(bin, 'pg_ctl'), [
      '-D', data, '-l', join(base, 'server.log'), '-w', '-t', '30', 'start',
      '-o', `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 ${settings.join(' ')}`.trimEnd(),
    ])
  }
  for (let attempt = 1; ; attempt++) {
    port = await freeLowPort()
    try {
      start()
      break
    } catch (err) {
      if (attempt >= 5) throw err
    }
  }
  const admin = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<T[]> => {
    const client = new pg.Client({ host: sockets, port, user: 'postgres', database })
    await client.connect()
    try {
      return (await client.query<T>(sql, params)).rows
    } finally {
      await client.end()
    }
  }
  let stopped = false
  return {
    host: '127.0.0.1',
    port,
    adminSocketDir: sockets,
    admin,
    async createDatabase(name = `db_${randomBytes(4).toString('hex')}`) {
      const user = `role_${randomBytes(4).toString('hex')}`
      const password = `pw-${randomBytes(9).toString('base64url')}`
      // Identifiers are generated hex; the password goes in as a literal the server quotes itself.
      const [row] = await admin<{ literal: string }>('SELECT quote_literal($1) AS literal', [password])
      await admin(`CREATE ROLE ${user} LOGIN PASSWORD ${row?.literal}`)
      await admin(`CREATE DATABASE ${name} OWNER ${user}`)
      await admin(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`, [], name)
      await admin(`GRANT CREATE ON SCHEMA public TO ${user}`, [], name)
      return { url: `postgres://${user}@127.0.0.1:${port}/${name}`, user, password, database: name }
    },
    dump(database) {
      return runPg(join(bin, 'pg_dump'), ['-h', sockets, '-p', String(port), '-U', 'postgres', '--data-only', database])
    },
    stop() {
      if (stopped) return
      runPg(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'])
      stopped = true
    },
    start() {
      if (!stopped) return
      start()
      stopped = false
    },
    destroy() {
      try {
        if (!stopped) runPg(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } catch {
        // already down
      }
      rmSync(base, { recursive: true, force: true })
    },
  }
}

/** Writes a ~/.pgpass line (mode 0600, as libpq requires) under `home`. */
export function writePgpass(home: string, line: string): string {
  const path = join(home, '.pgpass')
  writeFileSync(path, `${line}\n`, { mode: 0o600 })
  return path
}
