/**
 * Credential bundles for CI secret stores (`oauth-cli export` / `import`): one
 * line, `oauth-cli-bundle:v1:` + base64url of the stored credential's JSON.
 * Pure: encoding and validation only. A bundle holds every secret of the
 * credential (refresh token, client secret), so nothing here ever puts its
 * content in a message.
 */
import type { StoredCredential, StoreKind } from '../store/credential-store'
import { validateCredential } from '../store/codec'
import { parseJsonOrUndefined } from '../platform/json'
import { PROVIDER_NAME_PATTERN } from '../providers/schema'
import { isValidProfileName } from './profiles'

/** The version is in the prefix so a later layout can be told apart at a glance. */
export const BUNDLE_PREFIX = 'oauth-cli-bundle:v1:'

/** A bundle cannot sensibly be larger than this; a bigger input is refused before decoding. */
const MAX_BUNDLE_LENGTH = 1024 * 1024
const BASE64URL = /^[A-Za-z0-9_-]+$/

export type BundleDecoding =
  /** `from`: the kind of store it was exported from, when the bundle says (older ones do not). */
  | { ok: true; credential: StoredCredential; from?: StoreKind }
  /** `name`: the bundle is whole, but that name of it is one the CLI refuses. */
  | { ok: false; reason: string; name?: 'provider' | 'profile' }

/**
 * Where a bundle says it was exported from, beside the credential's own fields: import's hint to remove
 * the source copy names that store (`logout --local --store file`), which may not be the default where it
 * is run. Read back and removed by decodeBundle; a version that does not know it stores it as an unknown field.
 */
const FROM_FIELD = 'exported_from'
const STORE_KINDS: readonly string[] = ['keychain', 'file', 'postgres'] satisfies StoreKind[]

/** The one-line bundle for a credential, every field included, and the kind of store it was read from. */
export function encodeBundle(credential: StoredCredential, from?: StoreKind): string {
  // A local store's refresh mark stays with that store (an import clears marks).
  const { refresh_mark: _mark, ...exported } = credential
  const value = from === undefined ? exported : { ...exported, [FROM_FIELD]: from }
  return BUNDLE_PREFIX + Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')
}

/**
 * Reads a bundle (surrounding white space ignored) and validates the credential
 * with the store's own codec rules, and its names with the CLI's (a provider
 * name as in a config file, a profile as `--profile`): a name no command takes
 * could never be used or logged out, and may carry terminal escapes. `profile`
 * replaces the bundle's own before that check (`import --profile`). Reasons
 * name what is wrong, never a value.
 */
export function decodeBundle(text: string, options: { profile?: string } = {}): BundleDecoding {
  const line = text.trim()
  if (line === '') return { ok: false, reason: 'the input is empty' }
  if (line.length > MAX_BUNDLE_LENGTH) return { ok: false, reason: 'the input is far too long to be a bundle' }
  if (!line.startsWith(BUNDLE_PREFIX)) {
    return { ok: false, reason: `it does not start with "${BUNDLE_PREFIX}" (was it made by oauth-cli export?)` }
  }
  const payload = line.slice(BUNDLE_PREFIX.length)
  if (!BASE64URL.test(payload)) return { ok: false, reason: 'its payload is not base64url (was it cut or wrapped?)' }
  const parsed = parseJsonOrUndefined(Buffer.from(payload, 'base64url').toString('utf8'))
  if (parsed === undefined) return { ok: false, reason: 'its payload is not JSON (was it cut short?)' }
  const { value, from } = withoutFrom(parsed)
  const checked = validateCredential(value)
  if (!checked.ok) return { ok: false, reason: `the credential in it is not valid: ${checked.reason}` }
  const credential = options.profile === undefined ? checked.credential : { ...checked.credential, profile: options.profile }
  if (!PROVIDER_NAME_PATTERN.test(credential.provider)) {
    return { ok: false, name: 'provider', reason: 'its "provider" is not a provider name (a letter or digit, then letters, digits, ".", "_" or "-")' }
  }
  if (!isValidProfileName(credential.profile)) {
    return { ok: false, name: 'profile', reason: 'its "profile" is not a profile name (a letter or digit, then letters, digits, ".", "_" or "-", at most 64)' }
  }
  return from === undefined ? { ok: true, credential } : { ok: true, credential, from }
}

/** The payload without its `exported_from`, and that store kind when it is one. */
function withoutFrom(value: unknown): { value: unknown; from?: StoreKind } {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, FROM_FIELD)) return { value }
  const { [FROM_FIELD]: from, ...rest } = value as Record<string, unknown>
  return typeof from === 'string' && STORE_KINDS.includes(from) ? { value: rest, from: from as StoreKind } : { value: rest }
}

/** What `export` tells the user about how long a bundle stays usable. */
export type BundleLifetime =
  | { kind: 'static' }
  | { kind: 'client_credentials' }
  | { kind: 'rotates' }
  | { kind: 'refreshable' }
  | { kind: 'until_expiry'; expires_at: string | undefined }

/** Pure: how the bundle of this credential ages, from what the store has seen of it. */
export function describeBundleLifetime(credential: StoredCredential): BundleLifetime {
  if (credential.kind === 'static') return { kind: 'static' }
  if (credential.grant === 'client_credentials') return { kind: 'client_credentials' }
  if (!credential.refresh_token) return { kind: 'until_expiry', expires_at: credential.expires_at }
  return credential.rotation_seen ? { kind: 'rotates' } : { kind: 'refreshable' }
}
