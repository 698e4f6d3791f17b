/**
 * The CredentialStore port and the shape of what is stored. One item per
 * provider and profile, keyed `provider:profile`. Stored JSON keeps OAuth's
 * snake_case vocabulary (shared/SPEC.md, "JSON output").
 */
export type StoreKind = 'keychain' | 'file' | 'postgres'
/** `postgres://…` / `postgresql://…` names a shared store (shared/SPEC.md "Shared store"). */
export type SharedStoreUrl = `postgres://${string}` | `postgresql://${string}`
export type StoreChoice = 'keychain' | 'file' | 'auto' | SharedStoreUrl

/** True for a store choice (`--store`, OAUTH_CLI_STORE) that names the shared store: either scheme, any case. */
export function isSharedStoreUrl(value: string | undefined): value is SharedStoreUrl {
  if (value === undefined) return false
  // Any case, as /^postgres(ql)?:\/\//i, without compiling a case-insensitive pattern on every start (~0.1 ms).
  const scheme = value.slice(0, 13).toLowerCase()
  return scheme.startsWith('postgres://') || scheme.startsWith('postgresql://')
}

/**
 * What a message may repeat of a refused store choice (`--store`, OAUTH_CLI_STORE): a plain word
 * whole (`keychan`); of anything else (a mistyped URL: `postgres//ci:pw@db`, `mysql://…`) only
 * its first word, as the rest may hold a password.
 */
export function shownStoreChoice(value: string): string {
  const end = value.search(/[^\w.-]/)
  return end === -1 ? value : `${value.slice(0, end)}…`
}

export interface CredentialKey {
  provider: string
  profile: string
}

/**
 * `oauth`: tokens from an OAuth grant. `static`: a credential pasted with
 * `--with-token` (LiveChat PAT, Livestorm API token, Tidio key pair, a bearer
 * token), sent the provider's documented way and never refreshed.
 */
export type CredentialKind = 'oauth' | 'static'

export interface StoredCredential {
  /** Bumped when the shape changes incompatibly. */
  version: 1
  provider: string
  profile: string
  kind: CredentialKind
  /** For `static`, the credential as read (e.g. `ACCOUNT_ID:PAT`). */
  access_token: string
  token_type: string
  refresh_token?: string
  /** ISO 8601; absent when the provider sent no `expires_in` (or for static credentials). */
  expires_at?: string
  scope: string[]
  client_id?: string
  /** Kept only so that a refresh can authenticate the client. */
  client_secret?: string
  /** Token endpoint the credential came from, to refresh against the same one. */
  token_endpoint?: string
  /** Extra response fields the provider returned (LiveChat's organization_id, account_id). */
  extra?: Record<string, unknown>
  /**
   * How the tokens were obtained. `client_credentials` tokens are fetched again
   * on expiry instead of refreshed; absent means an interactive grant.
   */
  grant?: 'authorization_code' | 'device_code' | 'client_credentials'
  /** Set once a refresh returned a different refresh token: the provider rotates them. */
  rotation_seen?: boolean
  /**
   * ISO 8601: when the provider rejected this refresh token as dead (invalid_grant).
   * The token is kept (nothing is deleted on a failed refresh); `status` shows it as not refreshable.
   */
  refresh_rejected_at?: string
  /**
   * A local store's mark (store/versioned.ts keeps it here; a shared store keeps
   * its marks beside the row): a refresh at a rotating provider that got no
   * usable answer, or found dead since. Never exported; a new write clears it.
   */
  refresh_mark?: CredentialMark
  /** ISO 8601, when the tokens were last written. */
  updated_at: string
}

export interface ListOptions {
  onUnreadable?: (err: StoreError) => void
}

export type StoreLookup = { status: 'found'; credential: StoredCredential } | { status: 'missing' }

export interface CredentialStore {
  readonly kind: StoreKind
  /** A human description for messages: "OS keychain (service oauth-cli)", the file path, or `host:port/db`. */
  readonly location: string
  get(key: CredentialKey): Promise<StoreLookup>
  /** Atomic: a reader sees the old credential or the new one, never a mix. Clears any mark (a new login). */
  set(credential: StoredCredential): Promise<void>
  /** Resolves true when something was deleted: every copy the store holds (see `copiesOf`). */
  delete(key: CredentialKey): Promise<boolean>
  /**
   * Every copy of the credential the store holds, the one `get` returns first
   * (the default store may hold one in the keychain and one in the file store).
   * Absent: a store that holds at most the one `get` returns.
   */
  copiesOf?(key: CredentialKey): Promise<StoredCredential[]>
  /**
   * Every readable credential. An unreadable item throws, unless `onUnreadable`
   * is given: then it is told each one (a StoreError naming the item) and the
   * listing goes on with the others.
   */
  list(options?: ListOptions): Promise<StoredCredential[]>
  /**
   * Throws a StoreError when a write of about `bytes` would fail now (a full
   * disk, a read-only directory): asked before spending a refresh token the
   * provider may rotate. Optional; a store without it is assumed writable.
   */
  checkWritable?(key: CredentialKey, bytes: number): Promise<void>
  /**
   * Throws the StoreError a store of `key`'s new credential would throw, when
   * that is known before anything is sent (a shared store: a passphrase that
   * opens none of the rows already there): asked by a login before its flow,
   * so no grant is issued that could not be stored. Optional.
   */
  checkNewCredential?(key: CredentialKey): Promise<void>
  /**
   * Throws a StoreError when `delete` would be refused now (a shared store's
   * role without DELETE): asked by `logout` before it revokes anything at the
   * provider. Optional; a store without it is assumed able to delete.
   */
  checkDeletable?(key: CredentialKey): Promise<void>
  /** Where this credential lives, for a store made of several (the default store); else `kind`. */
  kindOf?(credential: CredentialKey): StoreKind
  /**
   * Shared stores: compare-and-set writes and marks. Absent on local stores,
   * which {@link versionedView} (store/versioned.ts) emulates under the machine's lock.
   */
  readonly versioned?: VersionedStore
  /**
   * The lock that makes a refresh single-flight among everyone who shares this
   * store (a lease in the shared database). Absent: the machine's own lock.
   */
  readonly locker?: Locker
  /** Ends connections (one per process); called once before the process exits. */
  close?(): Promise<void>
  /** Shared stores: reachability, rights and schema, for `doctor`. Throws a StoreError when unreachable. */
  health?(): Promise<StoreHealth>
}

export interface StoreHealth {
  /** One line: what was checked and found. */
  detail: string
  /** What is wrong (missing rights, an old schema); empty when all is well. */
  problems: string[]
  fix?: string
}

/**
 * The opaque version a credential was read at (a row version, a Vault KV v2
 * version): a write names it and succeeds only if nothing was written since.
 * It is the fencing token of a refresh.
 */
export type Revision = string

/** The revision of a credential that is not there: a compare-and-set against it creates, and only creates (Vault KV v2's cas=0). */
export const ABSENT: Revision = '0'

/**
 * Beside a shared credential: `dead`, the provider rejected its refresh token
 * (every runner fails fast instead of sending it again); `refresh_in_flight`,
 * a refresh was sent under the hold `fence` and its answer never stored.
 */
export type CredentialMark =
  | { kind: 'dead'; error: string; at: string }
  | { kind: 'refresh_in_flight'; holder: string; fence: string; at: string }

/**
 * The mark of a refresh that was sent by a holder now gone (a shared store's
 * row whose lease ended: store/postgres-store.ts lists a live holder's without
 * it; a local store's refresh left unsettled) at a provider seen rotating
 * refresh tokens: the next refresh will not send the stored one again and asks
 * for a login (session/refresh.ts refuseInterruptedRotation), so `status` says
 * not refreshable. Undefined for any other credential.
 */
export function interruptedRefreshOf(credential: StoredCredential): Extract<CredentialMark, { kind: 'refresh_in_flight' }> | undefined {
  const mark = credential.refresh_mark
  return mark?.kind === 'refresh_in_flight' && credential.rotation_seen === true ? mark : undefined
}

export type VersionedLookup =
  | { status: 'found'; credential: StoredCredential; revision: Revision; mark?: CredentialMark }
  | { status: 'missing' }

/** Reads with a revision and writes by compare-and-set: what a refresh needs from a store others write too. */
export interface VersionedStore {
  getVersioned(key: CredentialKey): Promise<VersionedLookup>
  /** Stores `credential` (clearing any mark) only if the revision is still `expected` ({@link ABSENT}: nothing stored): the new revision, or undefined when another write came first. */
  compareAndSet(credential: StoredCredential, expected: Revision): Promise<Revision | undefined>
  /** Sets (null: clears) the mark only if the revision is still `expected`: the new revision, or undefined. */
  mark(key: CredentialKey, expected: Revision, mark: CredentialMark | null): Promise<Revision | undefined>
}

/** Which store a credential (as read or written through `store`) lives in. */
export function storeKindOf(store: CredentialStore, credential: CredentialKey): StoreKind {
  return store.kindOf?.(credential) ?? store.kind
}

/** Why a store could not be used or read. `cli/report.ts` turns it into a message. */
export class StoreError extends Error {
  /**
   * `config`: the store is named or configured wrongly (exit 2); `denied`: the
   * shared store refused the login or lacks rights (exit 2); `unreachable`: the
   * shared store did not answer (exit 5); `lease_timeout`: another holder kept
   * the refresh lease past every bound (exit 5); `insecure`: a directory or
   * file another user could write, or that the user does not own; never used (exit 2).
   */
  readonly kind:
    | 'unavailable'
    | 'timeout'
    | 'corrupt'
    | 'locked'
    | 'bad_passphrase'
    | 'io'
    | 'config'
    | 'denied'
    | 'unreachable'
    | 'lease_timeout'
    | 'insecure'
  readonly location: string
  /** The credential the error is about, when it is about one (a corrupt item). */
  readonly key?: CredentialKey
  /** A runnable or actionable next step, when the store knows a better one than the generic. */
  readonly hint?: string
  constructor(
    kind: StoreError['kind'],
    location: string,
    message: string,
    options?: { cause?: unknown; key?: CredentialKey; hint?: string },
  ) {
    super(message, options)
    this.name = 'StoreError'
    this.kind = kind
    this.location = location
    if (options?.key) this.key = { provider: options.key.provider, profile: options.key.profile }
    if (options?.hint) this.hint = options.hint
  }
}

export const KEYCHAIN_SERVICE = 'oauth-cli'

export function toAccountKey(key: CredentialKey): string {
  return `${key.provider}:${key.profile}`
}

export function fromAccountKey(account: string): CredentialKey | undefined {
  const at = account.indexOf(':')
  if (at <= 0 || at === account.length - 1) return undefined
  return { provider: account.slice(0, at), profile: account.slice(at + 1) }
}

/**
 * What holding a lock or lease gives the work done under it. The machine's lock
 * file and the fleet's lease in the shared database are two implementations of
 * one idea; the refresh does not know which it holds.
 */
export interface Hold {
  /**
   * Aborted when the hold ends before the work does (a lease that could not be
   * renewed reaches its deadline): nothing more may be sent under it. A request
   * already sent is not aborted by it: its answer is kept, and written only by
   * compare-and-set (session/refresh.ts). Read it anew before each send: a
   * lease checks its clock on each read, not only when its timer fires.
   */
  readonly signal: AbortSignal
  /** Tells this hold from every other one (a lease's fence), so a mark can say whose refresh it was. */
  readonly fence: string
  /** Who holds it, for messages: "pid 4242 on runner-7". */
  readonly holder: string
  /**
   * Renews the hold now for a full term, before sending what must not outlive
   * it (a refresh request); throws when the hold is already lost. Absent: a
   * hold that cannot run out while its holder lives (the machine's lock).
   */
  extend?(): Promise<void>
}

/** Cross-process mutual exclusion, used to make refresh single-flight. */
export interface Locker {
  /**
   * Runs `fn` holding the named lock; throws StoreError('locked' or
   * 'lease_timeout') after the bound. A locker may call `options.recheck`
   * while it waits: a value from it is returned at once, without the lock
   * (a fleet's waiters see the holder's refresh land without queueing for it).
   */
  withLock<T>(name: string, fn: (hold: Hold) => Promise<T>, options?: LockOptions<T>): Promise<T>
}

export interface LockOptions<T> {
  /** Asked between attempts: undefined to keep waiting, or the answer the lock was wanted for. */
  recheck?: () => Promise<T | undefined>
  /** Called in each wait between attempts (the machine's lock; the lease, before each recheck): what it throws ends the wait with that error. */
  beforeWait?: () => void
}
