/**
 * The CredentialStore port and the shape of what is stored. One item per
 * provider and profile, keyed `provider:profile`. Stored JSON keeps OAuth's
 * snake_case vocabulary (shared/SPEC.md, "JSON output").
 */
export type StoreKind = 'keychain' | 'file'
export type StoreChoice = StoreKind | 'auto'

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
  /** ISO 8601, when the tokens were last written. */
  updated_at: string
}

export interface ListOptions {
  onUnreadable?: (err: StoreError) => void
}

export type StoreLookup = { status: 'found'; credential: StoredCredential } | { status: 'missing' }

export interface CredentialStore {
  readonly kind: StoreKind
  /** A human description for messages: "OS keychain (service oauth-cli)" or the file path. */
  readonly location: string
  get(key: CredentialKey): Promise<StoreLookup>
  /** Atomic: a reader sees the old credential or the new one, never a mix. */
  set(credential: StoredCredential): Promise<void>
  /** Resolves true when something was deleted. */
  delete(key: CredentialKey): Promise<boolean>
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
  checkWritable?(bytes: number): Promise<void>
}

/** Why a store could not be used or read. `cli/report.ts` turns it into a message. */
export class StoreError extends Error {
  readonly kind: 'unavailable' | 'timeout' | 'corrupt' | 'locked' | 'bad_passphrase' | 'io'
  readonly location: string
  /** The credential the error is about, when it is about one (a corrupt item). */
  readonly key?: CredentialKey
  constructor(
    kind: StoreError['kind'],
    location: string,
    message: string,
    options?: { cause?: unknown; key?: CredentialKey },
  ) {
    super(message, options)
    this.name = 'StoreError'
    this.kind = kind
    this.location = location
    if (options?.key) this.key = { provider: options.key.provider, profile: options.key.profile }
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

/** Cross-process mutual exclusion, used to make refresh single-flight. */
export interface Locker {
  /** Runs `fn` holding the named lock; throws StoreError('locked') after the bound. */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>
}
