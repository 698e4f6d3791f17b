/**
 * One PostgreSQL connection per process for the shared store, with a statement
 * timeout on every query, TLS as `sslmode` says, and every driver failure
 * turned into a StoreError that names `host:port/db` and never the password:
 * unreachable → exit 5, refused login or missing rights → exit 2.
 * `pg` is imported here and only here, when the shared store is used.
 */
import type { Client, ClientConfig, QueryResultRow } from 'pg'
import { createRequire } from 'node:module'
import { Socket } from 'node:net'
import type { ConnectionOptions, TLSSocket } from 'node:tls'
import { StoreError } from './credential-store'
import type { PostgresTarget } from './postgres-config'

/** Every query: the server cancels it after this long, and the client stops waiting a little later. */
export const STATEMENT_TIMEOUT_MS = 10_000
const CLIENT_QUERY_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 2_000

export interface Connection {
  readonly target: PostgresTarget
  /** Parameterised only: values never become SQL text. */
  query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: readonly unknown[]): Promise<R[]>
  /** Several statements without values (schema DDL), as one simple query. */
  script(sql: string): Promise<void>
  close(): Promise<void>
}

/** SQLSTATE codes (PostgreSQL Appendix A) that mean "not allowed", as opposed to "not reachable". */
const DENIED_CODES = new Set(['28P01', '28000', '3D000', '42501', '3F000'])

/**
 * The driver's Client alone, required (not imported) on first use: no pool, and
 * from the CommonJS fast path no detour through the ESM loader.
 */
const requirePackage = createRequire(import.meta.url)
const loadClient = (): typeof Client => {
  seedNodeStreams()
  return requirePackage('pg/lib/client') as typeof Client
}

/**
 * The driver's `lib/stream.js` asks at load time whether it runs in a
 * Cloudflare Worker, and on Node 20 (no `navigator`) does so by making a
 * `Response`, which loads Node's bundled undici (measured ~15-60 ms of a
 * 100-300 ms `token` on the shared store). Its Node half is two lines: it is
 * put in the module cache first, so the question is never asked.
 */
function seedNodeStreams(): void {
  let path: string
  try {
    path = requirePackage.resolve('pg/lib/stream')
  } catch {
    return
  }
  const cache = requirePackage.cache
  if (cache[path]) return
  const exports = {
    getStream: (): Socket => new Socket(),
    // node:tls only when the server agreed to TLS, as the driver does.
    getSecureStream: (options: ConnectionOptions): TLSSocket => (requirePackage('node:tls') as typeof import('node:tls')).connect(options),
  }
  cache[path] = { id: path, filename: path, loaded: true, exports, children: [], paths: [] } as unknown as NodeJS.Module
}

export async function connect(target: PostgresTarget): Promise<Connection> {
  const PgClient = loadClient()
  let ssl: ClientConfig['ssl'] = sslOptions(target)
  let broken = false
  const open = async (config: ClientConfig['ssl']): Promise<Client> => {
    const client = new PgClient(clientConfig(target, config))
    // An idle connection the server drops emits 'error' (and 'end'): the next query opens a new one.
    client.on('error', () => void (client === current && (broken = true)))
    client.on('end', () => void (client === current && (broken = true)))
    try {
      await client.connect()
    } catch (err) {
      await client.end().catch(() => undefined)
      throw err
    }
    return client
  }
  let current: Client | undefined
  const establish = async (): Promise<Client> => {
    try {
      try {
        return await open(ssl)
      } catch (err) {
        // sslmode prefer/allow (libpq's default): a server without TLS is spoken to in plain text.
        if (!(ssl && (target.sslmode === 'prefer' || target.sslmode === 'allow') && isNoSslError(err))) throw err
        ssl = false
        return await open(false)
      }
    } catch (err) {
      throw toStoreError(err, target, 'connect to')
    }
  }
  current = await establish()
  let reopening: Promise<Client> | undefined
  let closed = false
  /**
   * The connection, opened again when the server dropped it (a restart, a
   * failover, pg_terminate_backend): the lease and the row versions live in
   * the database, not in the session, so a new session carries on where the
   * old one stopped. A query that was in flight when it broke is not repeated
   * here: its caller knows whether it may be (a compare-and-set is retried).
   */
  const live = async (): Promise<Client> => {
    if (!broken && current) return current
    reopening ??= (async () => {
      const old = current
      current = undefined
      void old?.end().catch(() => undefined)
      broken = false
      try {
        current = await establish()
        return current
      } catch (err) {
        broken = true
        throw err
      } finally {
        reopening = undefined
      }
    })()
    return reopening
  }
  const runNow = async <R extends QueryResultRow>(doing: string, send: (client: Client) => Promise<R[]>): Promise<R[]> => {
    if (closed) throw toStoreError(new Error('Connection terminated'), target, doing)
    const client = await live()
    try {
      return await send(client)
    } catch (err) {
      if (!isServerAnswer(sqlStateOf(err)) && client === current) broken = true
      throw toStoreError(err, target, doing)
    }
  }
  /**
   * One query at a time, in the order asked (a lease renewal beside a write):
   * the driver queues a query sent while another runs, but says so on stderr
   * ("DeprecationWarning: Calling client.query() when the client is already
   * executing a query"), which a user must never see.
   */
  let queue: Promise<unknown> = Promise.resolve()
  const run = <R extends QueryResultRow>(doing: string, send: (client: Client) => Promise<R[]>): Promise<R[]> => {
    const result = queue.then(() => runNow(doing, send))
    queue = result.catch(() => undefined)
    return result
  }
  return {
    target,
    query: <R extends QueryResultRow>(sql: string, params: readonly unknown[] = []) =>
      run<R>('query', async (client) => (await client.query<R>({ text: sql, values: params as unknown[] })).rows),
    async script(sql) {
      await run('set up', async (client) => (await client.query(sql), []))
    },
    async close() {
      if (closed) return
      closed = true
      await reopening?.catch(() => undefined)
      await current?.end().catch(() => undefined)
    },
  }
}

/** The SQLSTATE a driver error carries (five characters), or undefined for one that has none (a socket error). */
function sqlStateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

/**
 * A server's answer to the query rather than a lost connection: a SQLSTATE
 * outside class 08 (connection exception) and 57P (the server shutting down or
 * ending the session).
 */
function isServerAnswer(sqlstate: string | undefined): boolean {
  return sqlstate !== undefined && !/^(08|57P)/.test(sqlstate)
}

function clientConfig(target: PostgresTarget, ssl: ClientConfig['ssl']): ClientConfig {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    database: target.database,
    // A function, so the driver never looks for a password on its own (its pgpass reader warns on stderr).
    password: async () => {
      if (target.password !== undefined) return target.password
      throw new StoreError('denied', target.location, `the shared store at ${target.location} asks for a password and none was given`, {
        hint: 'set PGPASSWORD (in CI, from a secret), or add a line for this host to ~/.pgpass (mode 0600)',
      })
    },
    ssl,
    connectionTimeoutMillis: target.connectTimeoutMs,
    // The URL's options over PGOPTIONS (which the driver would read itself), as libpq: one search_path for both ways.
    ...(target.options !== undefined ? { options: target.options } : {}),
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: CLIENT_QUERY_TIMEOUT_MS,
    application_name: 'oauth-cli',
    keepAlive: true,
  }
}

/**
 * libpq's sslmode as Node TLS options (false: plain text). The driver checks
 * the server's name against the host (and sends SNI only for a name, never an
 * IP address); verify-ca and a verifying require skip that name check.
 * @see https://www.postgresql.org/docs/15/libpq-ssl.html#LIBPQ-SSL-SSLMODE-STATEMENTS
 */
function sslOptions(target: PostgresTarget): ClientConfig['ssl'] {
  // 'system' (only verify-full gets here with it): Node's trusted roots.
  const ca = target.sslrootcert && target.sslrootcert !== 'system' ? { ca: target.sslrootcert } : {}
  const chainOnly = { ...ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } satisfies ConnectionOptions
  switch (target.sslmode) {
    case 'disable':
      return false
    case 'allow':
    case 'prefer':
      return { rejectUnauthorized: false }
    case 'require':
      // libpq: with a root certificate at hand (sslrootcert, or ~/.postgresql/root.crt), require verifies the chain as verify-ca does.
      return target.sslrootcert && target.sslrootcert !== 'system' ? chainOnly : { rejectUnauthorized: false }
    case 'verify-ca':
      return chainOnly
    case 'verify-full':
      return { ...ca, rejectUnauthorized: true } satisfies ConnectionOptions
    default: {
      const never: never = target.sslmode
      throw new Error(`unexpected sslmode ${String(never)}`)
    }
  }
}

function isNoSslError(err: unknown): boolean {
  return err instanceof Error && /does not support SSL/i.test(err.message)
}

/** Why the driver failed, as a StoreError naming the store and never a secret. */
export function toStoreError(err: unknown, target: PostgresTarget, doing: string): StoreError {
  if (err instanceof StoreError) return err
  const where = target.location
  const sqlstate = sqlStateOf(err)
  const detail = describeCause(err)
  if (sqlstate && DENIED_CODES.has(sqlstate)) {
    return new StoreError('denied', where, `the shared store at ${where} refused: ${detail}`, {
      cause: err,
      hint: deniedHint(sqlstate, target, detail),
    })
  }
  if (sqlstate === '57014') {
    return new StoreError('unreachable', where, `the shared store at ${where} did not finish a query within ${STATEMENT_TIMEOUT_MS / 1000} s`, {
      cause: err,
      hint: 'the database is overloaded or locked; try again shortly',
    })
  }
  const tls = tlsFailure(err, target)
  if (tls) {
    // A trust problem, not a network one: trying again will not help, the configuration must change (exit 2).
    return new StoreError('denied', where, `cannot ${doing} the shared store at ${where}: ${tls.message}`, { cause: err, hint: tls.hint })
  }
  if (isServerAnswer(sqlstate)) {
    return new StoreError('io', where, `the shared store at ${where} failed: ${detail}`, { cause: err })
  }
  return new StoreError('unreachable', where, `cannot reach the shared store at ${target.host} port ${target.port} (database ${target.database}): ${detail}`, {
    cause: err,
    hint: `check that PostgreSQL runs at ${target.host}:${target.port} and that this machine may connect (firewall, service container); PGCONNECT_TIMEOUT sets how long to wait`,
  })
}

function deniedHint(sqlstate: string, target: PostgresTarget, detail: string): string {
  switch (sqlstate) {
    case '28P01':
      return `check the password of role ${target.user}: PGPASSWORD, ~/.pgpass, or the URL`
    case '28000':
      if (/no encryption/.test(detail)) {
        return `the server takes connections from here only over TLS, and sslmode is ${target.sslmode}: set sslmode=verify-full (with PGSSLROOTCERT) or require, in the URL or PGSSLMODE`
      }
      return `the server's pg_hba.conf does not let role ${target.user} in from here (or wants TLS: set PGSSLMODE=verify-full or require)`
    case '3D000':
      return `create the database ${target.database} (createdb ${target.database}), or name another in the URL`
    default:
      return `as the owner of the tables, run: ${grantStatement(target.user)} (the first run, which creates them, also needs CREATE on the schema); oauth-cli doctor checks the result`
  }
}

/**
 * Every table the tool uses and the rights it needs on each: the schema
 * version is read by every command (created and migrated only by its owner).
 * The missing-rights hint, doctor's fix and doctor's check all read this.
 */
export const TABLE_RIGHTS: ReadonlyArray<readonly [table: string, rights: readonly string[]]> = [
  ['oauth_cli_credentials', ['SELECT', 'INSERT', 'UPDATE', 'DELETE']],
  ['oauth_cli_leases', ['SELECT', 'INSERT', 'UPDATE', 'DELETE']],
  ['oauth_cli_schema', ['SELECT']],
]

/** The GRANT statements that give `user` every right of {@link TABLE_RIGHTS}, ready to paste into psql. */
export function grantStatement(user: string): string {
  const byRights = new Map<string, string[]>()
  for (const [table, rights] of TABLE_RIGHTS) byRights.set(rights.join(', '), [...(byRights.get(rights.join(', ')) ?? []), table])
  return [...byRights].map(([rights, tables]) => `GRANT ${rights} ON ${tables.join(', ')} TO ${user};`).join(' ')
}

/** OpenSSL's verdicts on a chain it could not build to a trusted root. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
])

/** A TLS failure as a message and the change that fixes it; undefined when `err` is not one. */
function tlsFailure(err: unknown, target: PostgresTarget): { message: string; hint: string } | undefined {
  const code = (err as { code?: unknown } | undefined)?.code
  const message = err instanceof Error ? err.message : ''
  const trusted = target.sslrootcertFrom === 'system' ? "the system's trusted roots" : target.sslrootcertFrom ?? 'the CA file'
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const cert = (err as { cert?: { subjectaltname?: string; subject?: { CN?: string } } }).cert
    const listed = cert?.subjectaltname ?? (cert?.subject?.CN ? `CN=${cert.subject.CN}` : 'no names')
    return {
      message: `TLS failed: the server's certificate is not for ${target.host} (sslmode verify-full; it names ${listed})`,
      hint: 'connect by a host name the certificate lists (the URL or PGHOST), or have the server certificate reissued for this name; sslmode=verify-ca checks the CA without the host name',
    }
  }
  if (typeof code === 'string' && UNTRUSTED.has(code)) {
    return {
      message: `TLS failed: the server's certificate is not trusted (not signed by a CA in ${trusted}; sslmode ${target.sslmode}: ${message})`,
      hint: "point PGSSLROOTCERT (or sslrootcert= in the URL) at the PEM file of the CA that signed the database server's certificate",
    }
  }
  if (typeof code === 'string' && /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|HOSTNAME_MISMATCH)/.test(code)) {
    return {
      message: `TLS failed (sslmode ${target.sslmode}: ${message || code})`,
      hint: 'check the server certificate (dates, key usage) and the CA named by PGSSLROOTCERT',
    }
  }
  if (/does not support SSL/i.test(message)) {
    return {
      message: `the server does not speak TLS, and sslmode ${target.sslmode} requires it`,
      hint: 'turn on ssl in the server (ssl = on in postgresql.conf), or connect to the server that does',
    }
  }
  return undefined
}

/** The driver's message (never carries the password) or the errno code. */
function describeCause(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeCause(err.errors[0])
  const code = (err as { code?: unknown } | undefined)?.code
  const message = err instanceof Error ? err.message : String(err)
  if (/timeout expired|timeout exceeded when trying to connect/i.test(message)) return 'no answer within PGCONNECT_TIMEOUT'
  if (/Connection terminated|not queryable/i.test(message)) return 'the connection was closed by the server'
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return NETWORK_FAILURES[code] ?? code
  return message || String(code ?? 'unknown error')
}

/** Socket error codes in words (as an HTTP failure says them), the code kept where it helps a search. */
const NETWORK_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset (ECONNRESET)',
  ETIMEDOUT: 'timed out connecting (ETIMEDOUT)',
  EHOSTUNREACH: 'no route to the host (EHOSTUNREACH)',
  ENETUNREACH: 'the network is unreachable (ENETUNREACH)',
  EADDRNOTAVAIL: 'the address is not available here (EADDRNOTAVAIL)',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'temporary DNS failure (EAI_AGAIN)',
}
