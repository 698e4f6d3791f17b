/**
 * The shared store (shared/SPEC.md "Shared store: one set of credentials for a
 * fleet"): credentials in PostgreSQL, each row the file store's AES-256-GCM
 * envelope (scrypt key from OAUTH_CLI_PASSPHRASE, sealed here before anything
 * is sent), a row version bumped by every write for compare-and-set, and two
 * marks beside the ciphertext: `dead` (the provider rejected the refresh token)
 * and `refresh in flight` (a refresh was sent under a lease and its answer not
 * yet stored). The refresh lease lives in `oauth_cli_leases`
 * (postgres-lease.ts). Tables are created when missing, after checking, so a
 * role with table rights and no CREATE works once they exist.
 */
import { byCodeUnits } from '../platform/sort'
import { hostname, userInfo } from 'node:os'
import { readFileSync, statSync } from 'node:fs'
import { describeKey, matchesKey, parseCredential, serializeCredential } from './codec'
import {
  fromAccountKey,
  StoreError,
  toAccountKey,
  type CredentialKey,
  type CredentialMark,
  type CredentialStore,
  type StoredCredential,
  type VersionedLookup,
  type VersionedStore,
  ABSENT,
} from './credential-store'
import { checkEnvelope, createPassphraseBox, isEnvelopeLike, type PassphraseBox } from './file-store'
import { connect, grantStatement, TABLE_RIGHTS, type Connection } from './postgres-connection'
import { createPostgresLocker, leaseSecondsFrom } from './postgres-lease'
import { resolvePostgresTarget, type PostgresTarget } from './postgres-config'
import { parseJsonOrUndefined } from '../platform/json'

/** What a machine whose passphrase opens nothing (or not a row) is told. */
const SAME_PASSPHRASE_HINT = 'set OAUTH_CLI_PASSPHRASE to the passphrase every machine sharing the store uses; a row written under another one is fixed by a login (or import) from a machine with the right one'

/** The schema this version writes; a later version migrates from the number it finds. */
export const SCHEMA_VERSION = 1

export interface PostgresStoreOptions {
  env: Readonly<Record<string, string | undefined>>
  homedir?: string
}

export interface PostgresStore extends CredentialStore {
  readonly kind: 'postgres'
  readonly versioned: VersionedStore
  /** What `doctor` shows: reachable, rights, schema version. */
  check(): Promise<SchemaReport>
}

export interface SchemaReport {
  schemaVersion: number
  /** Privileges of the current role on the two tables (SELECT, INSERT, UPDATE, DELETE). */
  missingRights: string[]
  serverTime: string
}

/**
 * Opens the shared store. The passphrase is checked before anything is sent
 * (exit 2 without it: a database administrator or a backup must never see a
 * token); then the one connection of this process is made.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions): Promise<PostgresStore> {
  const passphrase = options.env.OAUTH_CLI_PASSPHRASE
  if (!passphrase) {
    throw new StoreError(
      'config',
      'OAUTH_CLI_PASSPHRASE',
      'the shared store needs OAUTH_CLI_PASSPHRASE: every credential is encrypted before it reaches the database, and it is unset or empty',
      { hint: 'set OAUTH_CLI_PASSPHRASE to the passphrase every machine sharing the store uses (in CI, from a secret)' },
    )
  }
  const target = resolvePostgresTarget(url, {
    env: options.env,
    homedir: options.homedir ?? options.env.HOME ?? '',
    readFile: readIfExists,
    modeOf: (path) => (process.platform === 'win32' ? undefined : statSync(path).mode),
    osUser: osUserName(),
  })
  const connection = await connect(target)
  return createPostgresStore(connection, createPassphraseBox(passphrase), options.env)
}

/** The store over an open connection; exported for the contract tests. */
export function createPostgresStore(
  connection: Connection,
  box: PassphraseBox,
  env: Readonly<Record<string, string | undefined>>,
): PostgresStore {
  const target = connection.target
  let schemaReady: Promise<void> | undefined
  const ready = (): Promise<void> => (schemaReady ??= ensureSchema(connection).catch((err) => {
    schemaReady = undefined
    throw err
  }))
  const q = async <R extends Record<string, unknown>>(sql: string, params: readonly unknown[]): Promise<R[]> => {
    await ready()
    return connection.query<R>(sql, params)
  }
  const seal = async (credential: StoredCredential): Promise<string> => JSON.stringify(await box.seal(serializeCredential(credential)))
  // Set once this process's passphrase has opened a row: the one the fleet uses, or one that agrees with it.
  let passphraseOpened = false
  const open = async (row: CredentialRow, key: CredentialKey): Promise<StoredCredential> => {
    const credential = await decodeRow(row, key, box, target)
    passphraseOpened = true
    return credential
  }
  /**
   * A new row sealed under a mistyped OAUTH_CLI_PASSPHRASE would be unreadable
   * to every other machine (shared/SPEC.md: one passphrase for the fleet). So
   * before one is created, the latest few rows already there are tried: when
   * this passphrase opens none of them, nothing is written. Cheap: one query,
   * and an scrypt only when this process has opened no row yet.
   */
  const refuseForeignPassphrase = async (key: CredentialKey): Promise<void> => {
    if (passphraseOpened) return
    const rows = await q<CredentialRow & { key: string; replacing: boolean }>(
      `SELECT c.*, EXISTS (SELECT 1 FROM oauth_cli_credentials WHERE key = $1) AS replacing
         FROM (${SELECT_CREDENTIAL} WHERE key <> $1 ORDER BY updated_at DESC LIMIT 3) AS c`,
      [toAccountKey(key)],
    )
    if (rows.length === 0 || rows[0]!.replacing) return
    const unopened: string[] = []
    for (const row of rows) {
      const other = fromAccountKey(row.key)
      if (!other) continue
      const opened = await open(row, other).then(() => true, (err: unknown) => {
        if (err instanceof StoreError && err.kind === 'bad_passphrase') unopened.push(describeKey(other))
        return false
      })
      if (opened) return
    }
    // Rows unreadable for another reason (altered, not encrypted) say nothing about the passphrase.
    if (unopened.length === 0) return
    throw new StoreError(
      'bad_passphrase',
      target.location,
      `not storing the credentials for ${describeKey(key)} in the shared store at ${target.location}: OAUTH_CLI_PASSPHRASE opens none of the credentials already there (${unopened.join(', ')}), so no other machine could read them`,
      { key, hint: SAME_PASSPHRASE_HINT },
    )
  }

  /**
   * The first read of a process checks the schema in the same query (a fresh
   * `token` is one round trip); only when the tables are missing does it take
   * the slow path that creates them.
   */
  const readRow = async (key: CredentialKey): Promise<CredentialRow | undefined> => {
    if (schemaReady) return (await q<CredentialRow>(`${SELECT_CREDENTIAL} WHERE key = $1`, [toAccountKey(key)]))[0]
    let rows: Array<CredentialRow & { schema_version: number | null }>
    try {
      rows = await connection.query(
        `SELECT (SELECT version FROM oauth_cli_schema WHERE id = 1) AS schema_version, c.*
           FROM (SELECT 1) AS one LEFT JOIN (${SELECT_CREDENTIAL} WHERE key = $1) AS c ON true`,
        [toAccountKey(key)],
      )
    } catch (err) {
      if (!isUndefinedTable(err)) throw err
      await ready()
      return (await q<CredentialRow>(`${SELECT_CREDENTIAL} WHERE key = $1`, [toAccountKey(key)]))[0]
    }
    const row = rows[0]
    if (row?.schema_version !== SCHEMA_VERSION) {
      await ready()
    } else {
      schemaReady ??= Promise.resolve()
    }
    return row && row.version !== null ? row : undefined
  }

  const versioned: VersionedStore = {
    async getVersioned(key) {
      const row = await readRow(key)
      if (!row) return { status: 'missing' } satisfies VersionedLookup
      const mark = markOf(row)
      return { status: 'found', credential: await open(row, key), revision: row.version, ...(mark ? { mark } : {}) }
    },
    async compareAndSet(credential, expected) {
      if (expected === ABSENT) {
        await refuseForeignPassphrase(credential)
        const [created] = await q<{ version: string }>(
          `INSERT INTO oauth_cli_credentials (key, version, ciphertext, updated_at) VALUES ($1, 1, $2, now())
           ON CONFLICT (key) DO NOTHING RETURNING version::text AS version`,
          [toAccountKey(credential), await seal(credential)],
        )
        return created?.version
      }
      const [row] = await q<{ version: string }>(
        `UPDATE oauth_cli_credentials
            SET version = version + 1, ciphertext = $3, updated_at = now(),
                dead_error = NULL, dead_at = NULL, in_flight_holder = NULL, in_flight_fence = NULL, in_flight_at = NULL
          WHERE key = $1 AND version = $2::bigint
          RETURNING version::text AS version`,
        [toAccountKey(credential), expected, await seal(credential)],
      )
      return row?.version
    },
    async mark(key, expected, mark) {
      const [row] = await q<{ version: string }>(
        `UPDATE oauth_cli_credentials
            SET version = version + 1, updated_at = now(),
                dead_error = $3, dead_at = CASE WHEN $3::text IS NULL THEN NULL ELSE now() END,
                in_flight_holder = $4, in_flight_fence = $5, in_flight_at = CASE WHEN $5::text IS NULL THEN NULL ELSE now() END
          WHERE key = $1 AND version = $2::bigint
          RETURNING version::text AS version`,
        [
          toAccountKey(key),
          expected,
          mark?.kind === 'dead' ? mark.error : null,
          mark?.kind === 'refresh_in_flight' ? mark.holder : null,
          mark?.kind === 'refresh_in_flight' ? mark.fence : null,
        ],
      )
      return row?.version
    },
  }

  return {
    kind: 'postgres',
    location: target.location,
    versioned,
    locker: createPostgresLocker(connection, ready, { leaseSeconds: leaseSecondsFrom(env), holder: `pid ${process.pid} on ${hostname()}` }),
    async get(key) {
      const found = await versioned.getVersioned(key)
      return found.status === 'found' ? { status: 'found', credential: found.credential } : { status: 'missing' }
    },
    // A new login or an import: written whatever is there, and any mark cleared.
    async set(credential) {
      await refuseForeignPassphrase(credential)
      await q(
        `INSERT INTO oauth_cli_credentials (key, version, ciphertext, updated_at) VALUES ($1, 1, $2, now())
         ON CONFLICT (key) DO UPDATE
            SET version = oauth_cli_credentials.version + 1, ciphertext = EXCLUDED.ciphertext, updated_at = now(),
                dead_error = NULL, dead_at = NULL, in_flight_holder = NULL, in_flight_fence = NULL, in_flight_at = NULL`,
        [toAccountKey(credential), await seal(credential)],
      )
    },
    // Before a login's flow: the refusal its save would meet, said before the provider issues anything.
    checkNewCredential: (key) => refuseForeignPassphrase(key),
    async delete(key) {
      const rows = await q<{ key: string }>('DELETE FROM oauth_cli_credentials WHERE key = $1 RETURNING key', [toAccountKey(key)])
      return rows.length > 0
    },
    // logout asks before revoking: a role without DELETE would revoke at the provider and then keep a dead row.
    async checkDeletable(key) {
      const [row] = await q<{ may: boolean }>(`SELECT has_table_privilege('oauth_cli_credentials', 'DELETE') AS may`, [])
      if (row?.may === true) return
      throw new StoreError('denied', target.location, `role ${target.user} may not delete from oauth_cli_credentials in the shared store at ${target.location}; nothing was revoked and the credential is kept`, {
        key,
        hint: `as the owner of the tables, run: ${grantStatement(target.user)}; then run the logout again (oauth-cli doctor checks the rights)`,
      })
    },
    // One unreadable row (another passphrase, altered) is told to onUnreadable and the rest are listed, as the file store does.
    async list(listOptions) {
      // Whether each in-flight mark's holder still holds its lease (by the database's clock): a refresh in progress.
      const rows = await q<CredentialRow & { key: string; in_flight_live: boolean }>(
        `SELECT c.*, EXISTS (SELECT 1 FROM oauth_cli_leases AS l WHERE l.fence = c.in_flight_fence AND l.expires_at > now()) AS in_flight_live
           FROM (${SELECT_CREDENTIAL}) AS c ORDER BY c.key`,
        [],
      )
      const found: StoredCredential[] = []
      for (const row of rows) {
        const at = row.key.indexOf(':')
        if (at <= 0) continue
        try {
          found.push(asListed(await open(row, { provider: row.key.slice(0, at), profile: row.key.slice(at + 1) }), markOf(row), row.in_flight_live))
        } catch (err) {
          if (!listOptions?.onUnreadable || !(err instanceof StoreError)) throw err
          listOptions.onUnreadable(err)
        }
      }
      return found.sort((a, b) => byCodeUnits(a.provider, b.provider) || byCodeUnits(a.profile, b.profile))
    },
    async check() {
      await ready()
      const [row] = await connection.query<{ version: number; now: string; rights: string[] }>(
        `SELECT (SELECT version FROM oauth_cli_schema WHERE id = 1) AS version, now()::text AS now,
                ARRAY(SELECT r.t || ':' || r.p FROM unnest($1::text[], $2::text[]) AS r(t, p)
                      WHERE NOT has_table_privilege(r.t, r.p)) AS rights`,
        [TABLE_RIGHTS.flatMap(([table, rights]) => rights.map(() => table)), TABLE_RIGHTS.flatMap(([, rights]) => rights)],
      )
      return { schemaVersion: Number(row?.version), missingRights: row?.rights ?? [], serverTime: row?.now ?? '' }
    },
    async health() {
      const report = await this.check()
      const rights = report.missingRights.map((r) => r.replace(':', ' '))
      return {
        detail: `${target.location} as ${target.user}: reachable, schema version ${report.schemaVersion}, server time ${report.serverTime}`,
        problems: rights.length > 0 ? [`role ${target.user} lacks ${rights.join(', ')}`] : [],
        ...(rights.length > 0
          ? { fix: grantStatement(target.user) }
          : {}),
      }
    },
    close: () => connection.close(),
  }
}

interface CredentialRow extends Record<string, unknown> {
  version: string
  ciphertext: string
  dead_error: string | null
  dead_at: string | null
  in_flight_holder: string | null
  in_flight_fence: string | null
  in_flight_at: string | null
}

const SELECT_CREDENTIAL = `SELECT key, version::text AS version, ciphertext, dead_error, dead_at::text AS dead_at,
       in_flight_holder, in_flight_fence, in_flight_at::text AS in_flight_at
  FROM oauth_cli_credentials`

function markOf(row: CredentialRow): CredentialMark | undefined {
  if (row.dead_error !== null) return { kind: 'dead', error: row.dead_error, at: row.dead_at ?? '' }
  if (row.in_flight_fence !== null) {
    return { kind: 'refresh_in_flight', holder: row.in_flight_holder ?? 'unknown', fence: row.in_flight_fence, at: row.in_flight_at ?? '' }
  }
  return undefined
}

/**
 * A listed row as `status` must show it, saying what the next command does
 * (cli/summary.ts). A row marked dead (its refresh token rejected, or a refresh
 * interrupted at a rotating provider: session/refresh.ts) makes every command
 * exit 3 without sending (session/fresh-token.ts failIfDead): shown rejected
 * (`refresh_rejected_at`). A row marked "refresh in flight" by a holder whose
 * lease has ended is handed out with its mark (`refresh_mark`, as a local
 * store's is): at a rotating provider the next holder refuses to send the token
 * again (interruptedRefreshOf). A live holder's mark is a refresh in progress,
 * and not shown. A login or an import clears every mark.
 */
function asListed(credential: StoredCredential, mark: CredentialMark | undefined, holderLive: boolean): StoredCredential {
  if (mark?.kind === 'refresh_in_flight') return holderLive ? credential : { ...credential, refresh_mark: mark }
  if (mark?.kind !== 'dead' || credential.refresh_rejected_at !== undefined) return credential
  return { ...credential, refresh_rejected_at: mark.at }
}

async function decodeRow(row: CredentialRow, key: CredentialKey, box: PassphraseBox, target: PostgresTarget): Promise<StoredCredential> {
  const corrupt = (reason: string): StoreError =>
    new StoreError('corrupt', target.location, `stored credentials for ${describeKey(key)} in the shared store at ${target.location} are unreadable (${reason}); the row was left as it is`, { key })
  const value = parseJsonOrUndefined(row.ciphertext)
  if (value === undefined) throw corrupt('not valid JSON')
  // Only envelopes are ever written here: a plain row would mean someone put secrets in the database by hand.
  if (!isEnvelopeLike(value)) throw corrupt('not encrypted')
  const envelope = checkEnvelope(value)
  if (typeof envelope === 'string') throw corrupt(envelope)
  const plaintext = await box.open(envelope, `the shared store at ${target.location}`, key).catch((err: unknown) => {
    if (!(err instanceof StoreError) || err.kind !== 'bad_passphrase') throw err
    // GCM cannot tell a wrong key from altered bytes; said for a row, and the fix is the fleet's one passphrase.
    throw new StoreError(
      'bad_passphrase',
      target.location,
      `OAUTH_CLI_PASSPHRASE does not open the credentials for ${describeKey(key)} in the shared store at ${target.location}: they were written under another passphrase, or the row was altered`,
      { key, cause: err, hint: SAME_PASSPHRASE_HINT },
    )
  })
  const result = parseCredential(plaintext)
  if (!result.ok) throw corrupt(result.reason)
  if (!matchesKey(result.credential, key)) throw corrupt('it holds the credentials of another provider or profile')
  return result.credential
}

/**
 * Version 1 of the schema. `key` is `provider:profile` (names, not secrets);
 * everything secret is in `ciphertext`. `version` is the fencing token of a
 * refresh. Lease expiry is judged by the database clock alone.
 */
const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS oauth_cli_schema (
  id integer PRIMARY KEY CHECK (id = 1),
  version integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS oauth_cli_credentials (
  key text PRIMARY KEY,
  version bigint NOT NULL,
  ciphertext text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  dead_error text,
  dead_at timestamptz,
  in_flight_holder text,
  in_flight_fence text,
  in_flight_at timestamptz
);
CREATE TABLE IF NOT EXISTS oauth_cli_leases (
  key text PRIMARY KEY,
  holder text NOT NULL,
  fence text NOT NULL,
  expires_at timestamptz NOT NULL
);
INSERT INTO oauth_cli_schema (id, version) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;
`

/** Migrations from version N to N+1, applied in order under the same advisory lock. None yet. */
const MIGRATIONS: Record<number, string> = {}

/** Looks first (no CREATE right needed when the tables exist); creates or migrates under an advisory lock. */
async function ensureSchema(connection: Connection): Promise<void> {
  const found = await schemaVersion(connection)
  if (found === SCHEMA_VERSION) return
  if (found !== undefined && found > SCHEMA_VERSION) {
    throw new StoreError(
      'config',
      connection.target.location,
      `the shared store at ${connection.target.location} was set up by a newer oauth-cli (schema version ${found}; this one knows ${SCHEMA_VERSION})`,
      { hint: 'upgrade oauth-cli on this machine to the version the rest of the fleet runs' },
    )
  }
  try {
    await connection.script(
      `BEGIN; SELECT pg_advisory_xact_lock(hashtext('oauth_cli_schema'));${SCHEMA_V1}${migrationsFrom(found ?? SCHEMA_VERSION)}COMMIT;`,
    )
  } catch (err) {
    await connection.script('ROLLBACK').catch(() => undefined)
    // SQLSTATE 3F000: no schema of the search_path exists (a mistyped options=-c search_path=… or PGOPTIONS); a GRANT fixes nothing.
    if (err instanceof StoreError && (err.cause as { code?: unknown } | undefined)?.code === '3F000') {
      const [row] = await connection.query<{ path: string }>("SELECT current_setting('search_path') AS path", []).catch(() => [])
      const path = row ? ` (search_path ${JSON.stringify(row.path.slice(0, 200))})` : ''
      throw new StoreError(
        'config',
        connection.target.location,
        `the tables of the shared store do not exist in ${connection.target.location}, and none of the schemas of the connection's search_path exists to create them in${path}`,
        {
          cause: err,
          hint: 'name an existing schema in search_path (options=-c search_path=… in the URL, or PGOPTIONS), or create that schema first (CREATE SCHEMA …)',
        },
      )
    }
    if (err instanceof StoreError && err.kind === 'denied') {
      throw new StoreError(
        'denied',
        connection.target.location,
        `the tables of the shared store do not exist in ${connection.target.location}, and role ${connection.target.user} may not create them`,
        {
          cause: err,
          hint: `run any oauth-cli command once as a role with CREATE on the schema (or GRANT CREATE ON SCHEMA public TO ${connection.target.user}); oauth-cli doctor checks the result`,
        },
      )
    }
    throw err
  }
}

function migrationsFrom(version: number): string {
  let sql = ''
  for (let v = version; v < SCHEMA_VERSION; v++) sql += `${MIGRATIONS[v] ?? ''}UPDATE oauth_cli_schema SET version = ${v + 1}, updated_at = now() WHERE id = 1;`
  return sql
}

/** The schema version, or undefined when the tables are not there yet (SQLSTATE 42P01, undefined_table). */
async function schemaVersion(connection: Connection): Promise<number | undefined> {
  try {
    const [row] = await connection.query<{ version: number }>('SELECT version FROM oauth_cli_schema WHERE id = 1', [])
    return row?.version
  } catch (err) {
    if (isUndefinedTable(err)) return undefined
    throw err
  }
}

/** SQLSTATE 42P01: a table the query names does not exist (yet). */
function isUndefinedTable(err: unknown): boolean {
  return err instanceof StoreError && (err.cause as { code?: unknown } | undefined)?.code === '42P01'
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

function osUserName(): string {
  try {
    return userInfo().username
  } catch {
    return 'postgres'
  }
}
