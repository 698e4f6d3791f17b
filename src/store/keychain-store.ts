/**
 * The OS keychain store (macOS Keychain, Windows Credential Manager, the Secret
 * Service on Linux) through `@napi-rs/keyring`: service `oauth-cli`, account
 * `provider:profile`, password = the credential's JSON (shared/SPEC.md
 * "Credentials"). Keychains hang (a locked collection waiting on a prompt, a
 * D-Bus service that never answers), so every call is bounded, as GitHub CLI
 * bounds its own (cli/cli internal/keyring).
 */
import { describeKey, matchesKey, parseCredential, serializeCredential } from './codec'
import {
  KEYCHAIN_SERVICE,
  StoreError,
  fromAccountKey,
  toAccountKey,
  type CredentialKey,
  type CredentialStore,
  type StoreLookup,
  type StoredCredential,
} from './credential-store'

/** The keytar-shaped subset of `@napi-rs/keyring/keytar.js` this store uses. */
export interface KeytarLike {
  getPassword(service: string, account: string): Promise<string | null>
  setPassword(service: string, account: string, password: string): Promise<void>
  deletePassword(service: string, account: string): Promise<boolean>
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>
}

export interface KeychainStoreOptions {
  /**
   * Default: `@napi-rs/keyring` in keytar shape, loaded on the first call so the
   * file store never loads the native addon.
   */
  backend?: KeytarLike
  /** Bound on every keychain call, default 5000 ms. */
  timeoutMs?: number
  /** Default {@link KEYCHAIN_SERVICE}; tests use a unique one. */
  service?: string
}

const DEFAULT_TIMEOUT_MS = 5000
const KEYCHAIN = 'OS keychain'

/** A CredentialStore over the OS keychain. Construction does no I/O. */
export function createKeychainStore(options: KeychainStoreOptions = {}): CredentialStore {
  const service = options.service ?? KEYCHAIN_SERVICE
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let backend: Promise<KeytarLike> | undefined
  const call = <T>(what: string, run: (b: KeytarLike) => Promise<T>, secret?: string): Promise<T> =>
    bounded(timeoutMs, what, async () => run(await (backend ??= loadBackend(options.backend))), secret)
  return {
    kind: 'keychain',
    location: `${KEYCHAIN} (service ${service})`,
    async get(key) {
      const text = await call(`read ${describeKey(key)}`, (b) => b.getPassword(service, toAccountKey(key)))
      if (text === null) return { status: 'missing' } satisfies StoreLookup
      return { status: 'found', credential: decodeItem(text, key) }
    },
    async set(credential) {
      const text = serializeCredential(credential)
      await call(`store ${describeKey(credential)}`, (b) => b.setPassword(service, toAccountKey(credential), text), text)
    },
    delete: (key) => call(`delete ${describeKey(key)}`, (b) => b.deletePassword(service, toAccountKey(key))),
    async list() {
      const items = await call('list credentials', (b) => b.findCredentials(service))
      return items
        .flatMap(({ account, password }) => {
          const key = fromAccountKey(account)
          // Items whose account is not ours to name (added by hand) are not credentials we wrote.
          return key ? [decodeItem(password, key)] : []
        })
        .sort((a, b) => a.provider.localeCompare(b.provider) || a.profile.localeCompare(b.profile))
    },
  }
}

/**
 * Whether the keychain answers at all: looks up an item that never exists, which
 * needs no unlock prompt. Bounded by `timeoutMs` (default: the store's own bound).
 */
export async function probeKeychain(
  store: CredentialStore,
  options: { timeoutMs?: number } = {},
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const probe = store.get({ provider: 'oauth-cli-probe', profile: 'probe' })
  try {
    if (options.timeoutMs === undefined) await probe
    else await bounded(options.timeoutMs, 'answer', () => probe)
    return { ok: true }
  } catch (err) {
    return { ok: false, reason: probeReason(err) }
  }
}

/** The backend's own reason, without our wrapping, for a one-line notice. */
function probeReason(err: unknown): string {
  if (err instanceof StoreError && err.kind === 'timeout') return 'it did not answer in time'
  if (err instanceof StoreError && err.cause !== undefined) return reasonOf(err.cause)
  return reasonOf(err)
}

function decodeItem(text: string, key: CredentialKey): StoredCredential {
  const result = parseCredential(text)
  const reason = !result.ok
    ? result.reason
    : matchesKey(result.credential, key)
      ? undefined
      : 'it holds the credentials of another provider or profile'
  if (result.ok && reason === undefined) return result.credential
  throw new StoreError(
    'corrupt',
    KEYCHAIN,
    `the ${KEYCHAIN} item for ${describeKey(key)} is unreadable (${reason}); it was left as it is`,
  )
}

async function loadBackend(injected: KeytarLike | undefined): Promise<KeytarLike> {
  if (injected) return injected
  const { AsyncEntry, findCredentialsAsync } = await import('@napi-rs/keyring')
  // Pinned to the Secret Service on Linux (ignored elsewhere). The default, and
  // keytar.js with it, silently falls back to the kernel keyring: forgotten at
  // logout, and invisible to findCredentials, so `status` would not see it.
  const options = { linux: { store: 'secret-service' as const } }
  const entry = (service: string, account: string) => new AsyncEntry(service, account, options)
  return {
    getPassword: (service, account) => entry(service, account).getPassword(),
    setPassword: (service, account, password) => entry(service, account).setPassword(password),
    deletePassword: (service, account) => entry(service, account).deletePassword(),
    findCredentials: (service) => findCredentialsAsync(service),
  }
}

/**
 * Runs `run` with a deadline. The timer is cleared either way so it never holds
 * the process open; a call that hangs past it is abandoned, not cancelled.
 */
async function bounded<T>(ms: number, what: string, run: () => Promise<T>, secret?: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreError('timeout', KEYCHAIN, `the ${KEYCHAIN} did not ${what} within ${ms} ms`)),
      ms,
    )
  })
  const work = run()
  try {
    return await Promise.race([work, deadline])
  } catch (err) {
    if (err instanceof StoreError) throw err
    const message = `the ${KEYCHAIN} could not ${what}: ${reasonOf(err, secret)}`
    // The backend's error could echo what it was handed, so it is kept only when that was no secret.
    throw new StoreError('unavailable', KEYCHAIN, message, secret ? undefined : { cause: err })
  } finally {
    clearTimeout(timer)
    work.catch(() => undefined)
  }
}

/** The backend's own words, with the secret we handed it scrubbed out in case it echoes it. */
function reasonOf(err: unknown, secret?: string): string {
  const text = err instanceof Error ? err.message : String(err)
  const scrubbed = secret ? text.split(secret).join('[redacted]') : text
  // One line, because it ends up inside a one-line notice or message.
  return scrubbed.replace(/\s+/g, ' ').trim() || 'unknown error'
}
