/**
 * Where the shared store is and how to reach it, as libpq reads it: the
 * `postgres://` URL first, then the standard environment (`PGHOST`, `PGPORT`,
 * `PGUSER`, `PGDATABASE`, `PGPASSWORD`, `PGSSLMODE`, `PGSSLROOTCERT`,
 * `PGCONNECT_TIMEOUT`, `PGOPTIONS`, `PGPASSFILE`), then `~/.pgpass` for the password
 * (shared/SPEC.md "Shared store"). Pure apart from reading the pgpass and CA
 * files through the injected reader. The password is kept apart from
 * everything printable: `location` is `host:port/db`, never more.
 * @see https://www.postgresql.org/docs/current/libpq-connect.html
 * @see https://www.postgresql.org/docs/current/libpq-envars.html
 * @see https://www.postgresql.org/docs/current/libpq-pgpass.html
 */
import { StoreError } from './credential-store'

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full'

export interface PostgresTarget {
  host: string
  port: number
  database: string
  user: string
  /** Never printed. Undefined: the server asks, and the connection fails with a clear message. */
  password?: string
  sslmode: SslMode
  /** PEM text of the CA to verify the server against (sslrootcert), or 'system'. */
  sslrootcert?: string
  /** Where that CA came from (a path, or `system`), for messages. */
  sslrootcertFrom?: string
  connectTimeoutMs: number
  /** libpq's `options` (`-c search_path=fleet`): the URL's, else PGOPTIONS; sent at connect time. */
  options?: string
  /** `host:port/db`: the only form of the target in messages and `status`. */
  location: string
}

export interface TargetSources {
  env: Readonly<Record<string, string | undefined>>
  homedir: string
  /** Reads a file; undefined when it does not exist. */
  readFile(path: string): string | undefined
  /** File mode bits, for the pgpass permission rule; undefined when unknown (Windows). */
  modeOf?(path: string): number | undefined
  /** The OS user name: libpq's default user. */
  osUser: string
}

const SSL_MODES: readonly string[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']
/**
 * The URL parameters (libpq's keywords) the shared store acts on. Any other
 * (sslcert, target_session_attrs, a typo) is refused rather than dropped: a
 * runner that silently ignored one could end up in another store than the
 * fleet's (another search_path), or connect without the client certificate meant.
 */
const URL_PARAMETERS: readonly string[] = ['host', 'port', 'dbname', 'user', 'password', 'sslmode', 'sslrootcert', 'connect_timeout', 'options']
/** shared/SPEC.md: unreachable within PGCONNECT_TIMEOUT, default 10 s. */
const DEFAULT_CONNECT_TIMEOUT_S = 10

/** Parses the URL and fills in what it leaves out. Errors name the part, never the password. */
export function resolvePostgresTarget(url: string, sources: TargetSources): PostgresTarget {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw configError('the shared store URL is not a valid postgres:// URL', 'write it as postgres://user@host:5432/database')
  }
  const env = sources.env
  const query = parsed.searchParams
  for (const name of query.keys()) {
    if (URL_PARAMETERS.includes(name)) continue
    throw configError(
      `the shared store URL names the parameter ${JSON.stringify(name.slice(0, 40))}, which oauth-cli does not use (its value was not read)`,
      `remove it from the URL; the URL takes ${URL_PARAMETERS.join(', ')} (libpq's names), and the PG* environment variables what it leaves out`,
    )
  }
  const host = decodeURIComponent(parsed.hostname.replace(/^\[(.*)\]$/, '$1')) || query.get('host') || env.PGHOST || 'localhost'
  if (host.startsWith('/')) {
    throw configError('the shared store must be reached over TCP, not a Unix socket', 'give a host name in the URL or PGHOST')
  }
  const portText = parsed.port || query.get('port') || env.PGPORT || '5432'
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw configError(`the shared store port ${JSON.stringify(portText)} is not a port number`, 'use a port from 1 to 65535')
  }
  const user = decodeURIComponent(parsed.username) || query.get('user') || env.PGUSER || sources.osUser
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || query.get('dbname') || env.PGDATABASE || user
  const sslmode = (query.get('sslmode') ?? env.PGSSLMODE ?? 'prefer').toLowerCase()
  if (!SSL_MODES.includes(sslmode)) {
    throw configError(`sslmode ${JSON.stringify(sslmode)} is not one of ${SSL_MODES.join(', ')}`, 'set sslmode in the URL or PGSSLMODE')
  }
  const location = `${host.includes(':') ? `[${host}]` : host}:${port}/${database}`
  const password =
    (parsed.password ? decodeURIComponent(parsed.password) : undefined) ??
    query.get('password') ??
    env.PGPASSWORD ??
    readPgpass({ host, port, database, user }, sources)
  return {
    host,
    port,
    database,
    user,
    ...(password !== undefined ? { password } : {}),
    sslmode: sslmode as SslMode,
    ...rootCert(query.get('sslrootcert') ?? env.PGSSLROOTCERT, sslmode as SslMode, sources),
    connectTimeoutMs: connectTimeout(query.get('connect_timeout') ?? env.PGCONNECT_TIMEOUT) * 1000,
    ...optionsOf(query.get('options') ?? env.PGOPTIONS),
    location,
  }
}

/** libpq's `options`, as given (an empty one is none). */
function optionsOf(text: string | undefined): { options?: string } {
  return text === undefined || text.trim() === '' ? {} : { options: text }
}

/** libpq: zero or negative means wait forever; values below 2 are raised to 2. Here "forever" is the default, and a wait is at most what a timer holds. */
function connectTimeout(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_CONNECT_TIMEOUT_S
  const n = Number(text)
  if (!Number.isFinite(n)) {
    throw configError(`PGCONNECT_TIMEOUT ${JSON.stringify(text)} is not a number of seconds`, 'set PGCONNECT_TIMEOUT to whole seconds, e.g. 10')
  }
  if (n <= 0) return DEFAULT_CONNECT_TIMEOUT_S
  return Math.min(MAX_CONNECT_TIMEOUT_S, Math.max(2, Math.floor(n)))
}

/** The longest wait a Node timer holds (2^31 - 1 ms); a longer one fires at once. */
const MAX_CONNECT_TIMEOUT_S = Math.floor(0x7fffffff / 1000)

/**
 * The CA as libpq finds it: sslrootcert / PGSSLROOTCERT, else
 * `~/.postgresql/root.crt` when it exists. verify-ca and verify-full without
 * one fail before connecting, as in libpq (no silent trust in other CAs);
 * `system` (libpq 16) means the system's trusted roots and verify-full only.
 */
function rootCert(path: string | undefined, sslmode: SslMode, sources: TargetSources): { sslrootcert?: string; sslrootcertFrom?: string } {
  const verifies = sslmode === 'verify-ca' || sslmode === 'verify-full'
  if (path === undefined || path === '') {
    const fallback = `${sources.homedir}/.postgresql/root.crt`
    const text = sources.readFile(fallback)
    if (text !== undefined) return { sslrootcert: text, sslrootcertFrom: fallback }
    if (!verifies) return {}
    throw configError(
      `sslmode ${sslmode} needs the CA that signed the database server's certificate, and there is no root certificate file ${fallback}`,
      'point PGSSLROOTCERT (or sslrootcert= in the URL) at the PEM file of that CA, or use sslrootcert=system (Node\'s trusted roots and NODE_EXTRA_CA_CERTS) with verify-full',
    )
  }
  if (path === 'system') {
    if (sslmode !== 'verify-full') {
      throw configError(`sslrootcert=system may be used only with sslmode verify-full (got ${sslmode}), as in libpq`, 'set sslmode=verify-full (URL or PGSSLMODE)')
    }
    return { sslrootcert: 'system', sslrootcertFrom: 'system' }
  }
  const text = sources.readFile(path)
  if (text === undefined) {
    throw configError(`the CA file ${path} named by sslrootcert / PGSSLROOTCERT does not exist`, 'point PGSSLROOTCERT at the PEM file of the CA that signed the database server certificate')
  }
  return { sslrootcert: text, sslrootcertFrom: path }
}

/**
 * The password for host, port, database and user from the pgpass file
 * (`PGPASSFILE`, else `~/.pgpass`): the first matching line wins, `*` matches
 * anything, `\` escapes `:` and `\`. Like libpq, a file that group or others
 * can read is ignored.
 */
export function readPgpass(
  want: { host: string; port: number; database: string; user: string },
  sources: TargetSources,
): string | undefined {
  const path = sources.env.PGPASSFILE || `${sources.homedir}/.pgpass`
  const text = sources.readFile(path)
  if (text === undefined) return undefined
  const mode = sources.modeOf?.(path)
  if (mode !== undefined && (mode & 0o077) !== 0) return undefined
  const wanted = [want.host, String(want.port), want.database, want.user]
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue
    const fields = splitPgpassLine(line)
    if (fields.length < 5) continue
    if (wanted.every((value, i) => fields[i] === '*' || fields[i] === value)) return fields[4]
  }
  return undefined
}

function splitPgpassLine(line: string): string[] {
  const fields: string[] = []
  let current = ''
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string
    if (ch === '\\' && i + 1 < line.length) {
      current += line[++i]
    } else if (ch === ':' && fields.length < 4) {
      fields.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  fields.push(current)
  return fields
}

function configError(message: string, hint: string): StoreError {
  return new StoreError('config', 'OAUTH_CLI_STORE', message, { hint })
}
