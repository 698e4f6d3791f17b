/**
 * The OS keychain store (macOS Keychain, Windows Credential Manager, the Secret
 * Service on Linux) through `@napi-rs/keyring`: service `oauth-cli`, account
 * `provider:profile`, password = the credential's JSON (shared/SPEC.md
 * "Credentials"). Keychains hang (a locked collection waiting on a prompt, a
 * D-Bus service that never answers), so every call is bounded, as GitHub CLI
 * bounds its own (cli/cli internal/keyring).
 *
 * Windows refuses a password over 2560 bytes, and JWTs alone exceed that, so a
 * credential too large for one item is compressed, then split: the main item
 * holds a manifest and the chunks live under `provider:profile#<generation>.<i>`
 * (codec.ts `planKeychainItem`). Provider and profile names never contain `#`.
 */
import { byCodeUnits } from '../platform/sort'
import { randomHex } from '../platform/unique-name'
import type { ProbeResult } from './dbus-probe'
import {
  KEYCHAIN_MAX_CHUNKS,
  describeKey,
  joinKeychainChunks,
  matchesKey,
  parseCredential,
  planKeychainItem,
  readKeychainItem,
  type ChunkManifest,
} from './codec'
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
const CHUNK_ACCOUNT = /#[0-9a-f]{1,32}\.[0-9]+$/

/** Bounded keychain calls for one service; `key` names the credential in messages. */
interface ItemIO {
  read(key: CredentialKey, account: string): Promise<string | null>
  write(key: CredentialKey, account: string, password: string): Promise<void>
  remove(key: CredentialKey, account: string): Promise<boolean>
}

/** Why an item could not be decoded; `retry` when a concurrent rewrite could explain it. */
type Decoded = { ok: true; credential: StoredCredential } | { ok: false; reason: string; retry: boolean }

/** A CredentialStore over the OS keychain. Construction does no I/O. */
export function createKeychainStore(options: KeychainStoreOptions = {}): CredentialStore {
  const service = options.service ?? KEYCHAIN_SERVICE
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let backend: Promise<KeytarLike> | undefined
  const call = <T>(what: string, run: (b: KeytarLike) => Promise<T>, secret?: string): Promise<T> =>
    bounded(timeoutMs, what, async () => run(await (backend ??= loadBackend(options.backend))), secret)
  const io: ItemIO = {
    read: (key, account) => call(`read ${describeKey(key)}`, (b) => b.getPassword(service, account)),
    write: (key, account, password) =>
      call(`store ${describeKey(key)}`, (b) => b.setPassword(service, account, password), password),
    remove: (key, account) => call(`delete ${describeKey(key)}`, (b) => b.deletePassword(service, account)),
  }
  return {
    kind: 'keychain',
    location: `${KEYCHAIN} (service ${service})`,
    async get(key) {
      const credential = await readCredential(io, key)
      if (credential === undefined) return { status: 'missing' } satisfies StoreLookup
      return { status: 'found', credential }
    },
    // The generation id names this write's chunks.
    set: (credential) => writeCredential(io, credential, randomHex(6)),
    delete: (key) => deleteCredential(io, key),
    list: async (listOptions) =>
      listCredentials(io, await call('list credentials', (b) => b.findCredentials(service)), listOptions?.onUnreadable),
  }
}

/**
 * Reads one credential. When a chunk is missing, the main item is read again:
 * a writer may have replaced the manifest and removed the old chunks between
 * the two reads, and then the new manifest is good.
 */
async function readCredential(io: ItemIO, key: CredentialKey): Promise<StoredCredential | undefined> {
  const account = toAccountKey(key)
  const fetch = (chunkAccount: string) => io.read(key, chunkAccount)
  let password = await fetch(account)
  for (let attempt = 1; password !== null; attempt++) {
    const decoded = await decodeItem(password, key, fetch)
    if (decoded.ok) return decoded.credential
    const latest = decoded.retry && attempt === 1 ? await fetch(account) : password
    if (latest === password) throw corrupt(key, decoded.reason)
    password = latest
  }
  return undefined
}

/**
 * Chunks first, the main item last, old chunks removed after: a reader sees the
 * old manifest with its chunks intact, or the new one with its own.
 */
async function writeCredential(io: ItemIO, credential: StoredCredential, generation: string): Promise<void> {
  const account = toAccountKey(credential)
  const plan = planKeychainItem(credential, generation)
  if (plan.layout === 'chunked' && plan.chunks.length > KEYCHAIN_MAX_CHUNKS) {
    throw new StoreError('io', KEYCHAIN, `the credentials for ${describeKey(credential)} are too large for the ${KEYCHAIN}`)
  }
  const previous = await io.read(credential, account)
  if (plan.layout === 'chunked') {
    for (const [index, chunk] of plan.chunks.entries()) {
      await io.write(credential, chunkAccount(account, generation, index + 1), chunk)
    }
  }
  await io.write(credential, account, plan.password)
  // The new credential is stored: failing the write over a leftover chunk, which
  // list() skips, would report a saved login as lost.
  await removeChunks(io, credential, previous, generation).catch(() => undefined)
}

/** The manifest goes first, so no later reader finds a manifest whose chunks are gone. */
async function deleteCredential(io: ItemIO, key: CredentialKey): Promise<boolean> {
  const account = toAccountKey(key)
  const previous = await io.read(key, account)
  const existed = await io.remove(key, account)
  await removeChunks(io, key, previous)
  return existed
}

async function listCredentials(
  io: ItemIO,
  items: ReadonlyArray<{ account: string; password: string }>,
  onUnreadable: ((err: StoreError) => void) | undefined,
): Promise<StoredCredential[]> {
  const byAccount = new Map(items.map(({ account, password }) => [account, password]))
  const credentials: StoredCredential[] = []
  for (const { account, password } of items) {
    // Chunks belong to a manifest; items whose account is not ours to name (added by hand) are not credentials we wrote.
    const key = CHUNK_ACCOUNT.test(account) ? undefined : fromAccountKey(account)
    if (key === undefined) continue
    try {
      const decoded = await decodeItem(password, key, async (chunk) => byAccount.get(chunk) ?? null)
      if (!decoded.ok && !decoded.retry) throw corrupt(key, decoded.reason)
      // A chunk missing from the listing may be a rewrite in flight: read that one afresh.
      const credential = decoded.ok ? decoded.credential : await readCredential(io, key)
      if (credential !== undefined) credentials.push(credential)
    } catch (err) {
      if (!onUnreadable || !(err instanceof StoreError) || err.kind !== 'corrupt') throw err
      onUnreadable(err)
    }
  }
  return credentials.sort((a, b) => byCodeUnits(a.provider, b.provider) || byCodeUnits(a.profile, b.profile))
}

async function decodeItem(
  password: string,
  key: CredentialKey,
  fetchChunk: (account: string) => Promise<string | null>,
): Promise<Decoded> {
  const content = readKeychainItem(password)
  switch (content.layout) {
    case 'whole':
      return checkCredential(content.json, key)
    case 'unreadable':
      return { ok: false, reason: content.reason, retry: false }
    case 'chunked':
      return decodeChunks(content.manifest, key, fetchChunk)
    default:
      return assertNever(content)
  }
}

async function decodeChunks(
  manifest: ChunkManifest,
  key: CredentialKey,
  fetchChunk: (account: string) => Promise<string | null>,
): Promise<Decoded> {
  const chunks: string[] = []
  for (const account of chunkAccounts(key, manifest)) {
    const chunk = await fetchChunk(account)
    if (chunk === null) {
      return { ok: false, reason: `chunk ${chunks.length + 1} of ${manifest.oauth_cli_chunks} is missing`, retry: true }
    }
    chunks.push(chunk)
  }
  const joined = joinKeychainChunks(manifest, chunks)
  if (joined.layout === 'whole') return checkCredential(joined.json, key)
  return { ok: false, reason: joined.reason, retry: false }
}

function checkCredential(json: string, key: CredentialKey): Decoded {
  const result = parseCredential(json)
  if (!result.ok) return { ok: false, reason: result.reason, retry: false }
  if (!matchesKey(result.credential, key)) {
    return { ok: false, reason: 'it holds the credentials of another provider or profile', retry: false }
  }
  return { ok: true, credential: result.credential }
}

/** Removes the chunks an old main item's text points to, unless they are generation `keep`. */
async function removeChunks(io: ItemIO, key: CredentialKey, password: string | null, keep?: string): Promise<void> {
  const content = password === null ? undefined : readKeychainItem(password)
  if (content?.layout !== 'chunked' || content.manifest.generation === keep) return
  for (const account of chunkAccounts(key, content.manifest)) await io.remove(key, account)
}

function chunkAccounts(key: CredentialKey, manifest: ChunkManifest): string[] {
  const account = toAccountKey(key)
  return Array.from({ length: manifest.oauth_cli_chunks }, (_, i) => chunkAccount(account, manifest.generation, i + 1))
}

function chunkAccount(account: string, generation: string, index: number): string {
  return `${account}#${generation}.${index}`
}

function corrupt(key: CredentialKey, reason: string): StoreError {
  return new StoreError(
    'corrupt',
    KEYCHAIN,
    `the ${KEYCHAIN} item for ${describeKey(key)} is unreadable (${reason}); it was left as it is`,
    { key },
  )
}

function assertNever(value: never): never {
  throw new TypeError(`unexpected ${JSON.stringify(value)}`)
}

/**
 * Whether the keychain answers at all: looks up an item that never exists, which
 * needs no unlock prompt. Bounded by `timeoutMs` (default: the store's own bound).
 */
export async function probeKeychain(
  store: CredentialStore,
  options: { timeoutMs?: number } = {},
): Promise<ProbeResult> {
  const probe = store.get({ provider: 'oauth-cli-probe', profile: 'probe' })
  try {
    if (options.timeoutMs === undefined) await probe
    else await bounded(options.timeoutMs, 'answer', () => probe)
    return { ok: true }
  } catch (err) {
    return { ok: false, reason: probeReason(err), timedOut: err instanceof StoreError && err.kind === 'timeout' }
  }
}

/** The backend's own reason, without our wrapping, for a one-line notice. */
function probeReason(err: unknown): string {
  if (err instanceof StoreError && err.kind === 'timeout') return 'it did not answer in time'
  if (err instanceof StoreError && err.cause !== undefined) return reasonOf(err.cause)
  return reasonOf(err)
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
