/**
 * Chooses the credential store: the OS keychain by default, the file store where
 * no keychain answers or when asked for (`--store`, `OAUTH_CLI_STORE`), saying
 * once on stderr when it falls back (shared/SPEC.md "Credentials").
 */
import { StoreError, type CredentialStore, type SharedStoreUrl, type StoreChoice, type StoreKind } from './credential-store'
import { createFileStore } from './file-store'
import { createKeychainStore, probeKeychain } from './keychain-store'

export interface SelectStoreContext {
  env: Readonly<Record<string, string | undefined>>
  /** `$XDG_DATA_HOME/oauth-cli`. */
  dataDir: string
  platform: NodeJS.Platform
  /** Writes one line to stderr. */
  notice: (line: string) => void
  /** For `~/.pgpass` and `~/.postgresql/root.crt` of the shared store. */
  homedir?: string
  /** Injectable for tests; default: the real OS keychain. */
  keychain?: CredentialStore
}

/** An unanswered probe costs the user this long before the fall-back, once per run. */
const AUTO_PROBE_TIMEOUT_MS = 3000

/**
 * Opens the store for `choice`. An explicit `keychain` that does not answer is an
 * error (the user asked for it); `auto` falls back to the file store instead.
 */
export async function openStore(choice: StoreChoice, ctx: SelectStoreContext): Promise<CredentialStore> {
  const resolved = choice === 'auto' ? choiceFromEnv(ctx.env) : choice
  if (isSharedStoreUrl(resolved)) return openSharedStore(resolved, ctx)
  switch (resolved) {
    case 'file':
      return openFileStore(ctx)
    case 'keychain':
      return openKeychainStrictly(ctx)
    case 'auto':
      return openAuto(ctx)
    default:
      return assertNever(resolved)
  }
}

function choiceFromEnv(env: SelectStoreContext['env']): StoreChoice {
  const value = env.OAUTH_CLI_STORE
  if (value === undefined || value === '') return 'auto'
  if (value === 'file' || value === 'keychain') return value satisfies StoreKind
  if (isSharedStoreUrl(value)) return value
  throw new StoreError(
    'config',
    'OAUTH_CLI_STORE',
    // The value may be a URL with a password in it: never echo it.
    `OAUTH_CLI_STORE must be keychain, file or a postgres:// URL${/:\/\//.test(value) ? '' : `, got ${JSON.stringify(value)}`}`,
    { hint: 'set OAUTH_CLI_STORE=keychain, file, or postgres://user@host:5432/database' },
  )
}

export function isSharedStoreUrl(value: string): value is SharedStoreUrl {
  return /^postgres(ql)?:\/\//i.test(value)
}

/**
 * The shared store: the PostgreSQL driver loads only here. Never a fall-back to
 * a local store: a runner that silently used its own copy would spend the
 * fleet's rotating refresh token outside the lease.
 */
async function openSharedStore(url: SharedStoreUrl, ctx: SelectStoreContext): Promise<CredentialStore> {
  const { openPostgresStore } = await import('./postgres-store')
  return openPostgresStore(url, { env: ctx.env, ...(ctx.homedir ? { homedir: ctx.homedir } : {}) })
}

async function openKeychainStrictly(ctx: SelectStoreContext): Promise<CredentialStore> {
  const keychain = ctx.keychain ?? createKeychainStore()
  const probe = await probeKeychain(keychain)
  if (probe.ok) return keychain
  throw new StoreError('unavailable', keychain.location, `the OS keychain is not available: ${probe.reason}`)
}

async function openAuto(ctx: SelectStoreContext): Promise<CredentialStore> {
  const keychain = ctx.keychain ?? createKeychainStore()
  const probe = await probeKeychain(keychain, { timeoutMs: AUTO_PROBE_TIMEOUT_MS })
  if (probe.ok) return keychain
  const store = openFileStore(ctx)
  const encryption = passphraseOf(ctx.env)
    ? 'encrypted with OAUTH_CLI_PASSPHRASE'
    : 'not encrypted: set OAUTH_CLI_PASSPHRASE to encrypt it'
  ctx.notice(`oauth-cli: no OS keychain available (${probe.reason}); using the file store at ${store.location} (${encryption})`)
  return store
}

function openFileStore(ctx: SelectStoreContext): CredentialStore {
  return createFileStore({ dir: ctx.dataDir, passphrase: passphraseOf(ctx.env), notice: ctx.notice })
}

/** An empty passphrase is no passphrase: encrypting under "" would only look safe. */
function passphraseOf(env: SelectStoreContext['env']): string | undefined {
  return env.OAUTH_CLI_PASSPHRASE || undefined
}

function assertNever(value: never): never {
  throw new Error(`unexpected store choice: ${String(value)}`)
}
