/**
 * Chooses the credential store: the OS keychain by default (with the file store
 * beside it, so credentials written there stay found), the file store where no
 * keychain answers or when asked for (`--store`, `OAUTH_CLI_STORE`)
 * (shared/SPEC.md "Credentials").
 *
 * Keychains hang, and on Linux the keychain library connects to D-Bus
 * synchronously, where no timer can bound it; so the bus is checked first, by
 * our own bounded handshake (dbus-probe.ts), and not at all where there is none.
 * A fall-back is remembered per machine (fallback-memory.ts): said once, short,
 * with the backend's reason under --verbose, and not probed again for a day
 * (ten minutes when the keychain only did not answer in time).
 */
import { existsSync } from 'node:fs'
import { isSharedStoreUrl, shownStoreChoice, StoreError, type CredentialStore, type SharedStoreUrl, type StoreChoice, type StoreKind } from './credential-store'
import { checkSessionBus, findSessionBus, type ProbeResult } from './dbus-probe'
import { createEitherStore } from './either-store'
import { fingerprintOf, forgetFallback, recallFallback, rememberFallback, stillValid } from './fallback-memory'
import { createFileStore } from './file-store'
import { createKeychainStore, probeKeychain } from './keychain-store'

export interface SelectStoreContext {
  env: Readonly<Record<string, string | undefined>>
  /** `$XDG_DATA_HOME/oauth-cli`. */
  dataDir: string
  /** `$XDG_STATE_HOME/oauth-cli`, where a keychain fall-back is remembered; none: nothing is remembered. */
  stateDir?: string
  platform: NodeJS.Platform
  /** Writes one line to stderr. */
  notice: (line: string) => void
  /** For `~/.pgpass` and `~/.postgresql/root.crt` of the shared store. */
  homedir?: string
  /** For what is said once per machine (the fall-back): written at once, never held back; default `notice`. */
  noticeOnce?: (line: string) => void
  /** `--verbose`: the fall-back notice says why, on every run. */
  verbose?: boolean
  /** Injectable for tests; default: the real OS keychain (and, on Linux, the D-Bus check before it). */
  keychain?: CredentialStore
  /** Epoch ms; default Date.now. */
  now?: () => number
}

/** An unanswered probe costs the user this long before the fall-back. */
const AUTO_PROBE_TIMEOUT_MS = 3000
/**
 * The D-Bus handshake and a Ping of the Secret Service are a few local round
 * trips (plus starting an activatable keyring); slower than this is as good as hung.
 */
const BUS_CHECK_TIMEOUT_MS = 1500

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
    // The value may be a URL with a password in it (mistyped, so no :// for redaction to see): only its first word is echoed.
    `OAUTH_CLI_STORE must be keychain, file or a postgres:// URL, got ${JSON.stringify(shownStoreChoice(value))}`,
    { hint: 'set OAUTH_CLI_STORE=keychain, file, or postgres://user@host:5432/database' },
  )
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
  const bus = await checkBus(ctx)
  const probe = bus.ok ? await probeKeychain(keychain) : bus
  if (probe.ok) return keychain
  // One that did not answer in time is a timeout (exit 5), not a missing keychain (exit 2).
  throw new StoreError(probe.timedOut ? 'timeout' : 'unavailable', keychain.location, `the OS keychain is not available: ${probe.reason}`)
}

async function openAuto(ctx: SelectStoreContext): Promise<CredentialStore> {
  const now = ctx.now?.() ?? Date.now()
  const fingerprint = fingerprintOf(ctx.env, ctx.platform, uidOf())
  const remembered = ctx.stateDir ? recallFallback(ctx.stateDir) : undefined
  const sameMachine = remembered?.fingerprint === fingerprint
  if (remembered && sameMachine && stillValid(remembered, now)) {
    const store = openFileStore(ctx)
    if (ctx.verbose) (ctx.noticeOnce ?? ctx.notice)(fallbackNotice(ctx, store, remembered.reason, true))
    return store
  }
  const keychain = ctx.keychain ?? createKeychainStore()
  const bus = await checkBus(ctx)
  const probe = bus.ok ? await probeKeychain(keychain, { timeoutMs: AUTO_PROBE_TIMEOUT_MS }) : bus
  if (probe.ok) {
    if (remembered && ctx.stateDir) forgetFallback(ctx.stateDir)
    return createEitherStore(keychain, openFileStore(ctx))
  }
  const store = openFileStore(ctx)
  if (ctx.stateDir) await rememberFallback(ctx.stateDir, { fingerprint, reason: probe.reason, at: now, transient: probe.timedOut }, ctx.notice)
  // Said once per machine: a fall-back remembered here before (even long ago) is not news.
  if (ctx.verbose || !sameMachine) (ctx.noticeOnce ?? ctx.notice)(fallbackNotice(ctx, store, probe.reason, false))
  return store
}

function fallbackNotice(ctx: SelectStoreContext, store: CredentialStore, reason: string, remembered: boolean): string {
  const encryption = passphraseOf(ctx.env)
    ? 'encrypted with OAUTH_CLI_PASSPHRASE'
    : 'not encrypted: set OAUTH_CLI_PASSPHRASE to encrypt it'
  if (ctx.verbose) {
    const when = remembered ? ' (remembered from an earlier run; the keychain is asked again later)' : ''
    return `oauth-cli: no OS keychain available (${reason})${when}; using the file store at ${store.location} (${encryption})`
  }
  return `oauth-cli: no OS keychain here; using the file store at ${store.location} (${encryption}). Said once; --verbose says why.`
}

/**
 * On Linux the keychain is the Secret Service on the D-Bus session bus: no bus,
 * no keychain (and no probe); a bus that does not complete our handshake would
 * freeze the keychain library, so it is not asked. Elsewhere, and with an
 * injected keychain, there is nothing to check.
 */
async function checkBus(ctx: SelectStoreContext): Promise<ProbeResult> {
  if (ctx.platform !== 'linux' || ctx.keychain) return { ok: true }
  const bus = findSessionBus(ctx.env, uidOf(), existsSync)
  if (bus.kind === 'none') return { ok: false, reason: bus.reason, timedOut: false }
  if (bus.kind === 'unsupported') return { ok: true }
  const answer = await checkSessionBus(bus.address, uidOf(), BUS_CHECK_TIMEOUT_MS)
  return answer.ok ? answer : { ...answer, reason: `${answer.reason} (${bus.shown.split(',')[0]})` }
}

function uidOf(): number | undefined {
  return typeof process.geteuid === 'function' ? process.geteuid() : undefined
}

function openFileStore(ctx: SelectStoreContext): CredentialStore {
  return createFileStore({ dir: ctx.dataDir, passphrase: passphraseOf(ctx.env), notice: ctx.notice, noticeOnce: ctx.noticeOnce })
}

/** An empty passphrase is no passphrase: encrypting under "" would only look safe. */
function passphraseOf(env: SelectStoreContext['env']): string | undefined {
  return env.OAUTH_CLI_PASSPHRASE || undefined
}

function assertNever(value: never): never {
  throw new Error(`unexpected store choice: ${String(value)}`)
}
