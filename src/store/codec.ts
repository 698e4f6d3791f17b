/**
 * The stored shape of a credential, as both stores write it: JSON of
 * {@link StoredCredential}, validated field by field on the way back in so a
 * damaged item is reported instead of half-used. Also the text of keychain
 * items, which must stay small (see {@link KEYCHAIN_ITEM_MAX_LENGTH}). Pure: no
 * I/O (zlib and hashing are computation only).
 */
import type { CredentialKey, StoredCredential } from './credential-store'
import { parseJsonOrUndefined } from '../platform/json'

/**
 * zlib and crypto are needed only for large keychain items; loading them
 * lazily (and synchronously, as the codec is) keeps them off the `token` path.
 * getBuiltinModule, not createRequire: `node:module` alone loads the ESM loader (~1 ms).
 */
const zlib = (): typeof import('node:zlib') => process.getBuiltinModule('node:zlib')
const nodeCrypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto')

export type ParseResult =
  | { ok: true; credential: StoredCredential }
  | { ok: false; reason: string }

/** JSON text of a credential (snake_case, as in shared/SPEC.md "JSON output"). */
export function serializeCredential(credential: StoredCredential): string {
  return `${JSON.stringify(credential, null, 2)}\n`
}

/**
 * Parses and validates stored JSON. The failure reason names fields, never
 * values, so it is safe to put in an error message.
 */
export function parseCredential(text: string): ParseResult {
  const value = parseJsonOrUndefined(text)
  if (value === undefined) return { ok: false, reason: 'not valid JSON' }
  return validateCredential(value)
}

const REQUIRED_STRINGS = ['provider', 'profile', 'access_token', 'token_type', 'updated_at'] as const
const OPTIONAL_STRINGS = [
  'refresh_token',
  'expires_at',
  'client_id',
  'client_secret',
  'token_endpoint',
  'refresh_rejected_at',
] as const

const TOKENS = ['access_token', 'refresh_token'] as const
/** C0 controls (CR, LF, NUL, tab…), DEL and C1 controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** An HTTP auth scheme's characters (RFC 9110 §5.6.2 tchar), or empty (read as Bearer). */
const AUTH_SCHEME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]*$/

const GRANTS: readonly unknown[] = ['authorization_code', 'device_code', 'client_credentials'] satisfies Array<
  NonNullable<StoredCredential['grant']>
>

/** Checks an already-parsed value against the StoredCredential shape. */
export function validateCredential(value: unknown): ParseResult {
  if (!isPlainObject(value)) return { ok: false, reason: 'not a JSON object' }
  if (value.version !== 1) return { ok: false, reason: 'unsupported "version" (expected 1)' }
  if (value.kind !== 'oauth' && value.kind !== 'static') {
    return { ok: false, reason: '"kind" must be "oauth" or "static"' }
  }
  for (const field of REQUIRED_STRINGS) {
    if (typeof value[field] !== 'string') return fieldError(field, 'missing or not a string')
  }
  if (value.provider === '' || value.profile === '') {
    return { ok: false, reason: '"provider" and "profile" must not be empty' }
  }
  for (const field of OPTIONAL_STRINGS) {
    if (value[field] !== undefined && typeof value[field] !== 'string') {
      return fieldError(field, 'not a string')
    }
  }
  // A token goes into a header and is printed by `token` alone on a line: one holding a CR LF (as an older version
  // stored from a provider's answer) would inject a header into whatever sends it. Only control characters are refused
  // here, not all RFC 6749 A.12/A.17 forbid (toTokenSet holds new answers to printable ASCII): a stored token someone
  // could use stays readable. Such an access token beside a grant that renews it (a good refresh token, the client
  // credentials grant) is read as no access token, expired: the grant is kept and used, and that token never printed or sent.
  // Each token is looked at once (this runs on every read of every credential).
  const unusableAccessToken = CONTROL.test(value.access_token as string)
  const unusableRefreshToken = typeof value.refresh_token === 'string' && CONTROL.test(value.refresh_token)
  if (unusableAccessToken && !renewsWithoutAccessToken(value, unusableRefreshToken)) return notAToken('access_token')
  if (unusableRefreshToken) return notAToken('refresh_token')
  // token_type is the scheme before the token in that same header (RFC 7235 auth-scheme = token, RFC 9110 tchar): this tool
  // only ever stored Bearer in some case, or "static". The client id and secret go in a form body or a Basic header, and
  // status/export print the id: RFC 6749 A.1, A.2 (VSCHAR) allow no control characters in either.
  if (!AUTH_SCHEME.test(value.token_type as string)) {
    return fieldError('token_type', 'not a token type: it holds characters other than letters, digits and !#$%&\'*+.^_`|~-')
  }
  for (const field of ['client_id', 'client_secret'] as const) {
    if (typeof value[field] === 'string' && CONTROL.test(value[field])) return fieldError(field, 'not usable: it holds line breaks or control characters')
  }
  if (!Array.isArray(value.scope) || !value.scope.every((s) => typeof s === 'string')) {
    return fieldError('scope', 'not an array of strings')
  }
  if (value.extra !== undefined && !isPlainObject(value.extra)) {
    return fieldError('extra', 'not an object')
  }
  if (value.grant !== undefined && !GRANTS.includes(value.grant as string)) {
    return fieldError('grant', `not one of ${GRANTS.join(', ')}`)
  }
  if (value.rotation_seen !== undefined && typeof value.rotation_seen !== 'boolean') {
    return fieldError('rotation_seen', 'not a boolean')
  }
  if (value.refresh_mark !== undefined && !isMark(value.refresh_mark)) {
    return fieldError('refresh_mark', 'not a refresh mark')
  }
  for (const field of ['expires_at', 'updated_at'] as const) {
    const text = value[field]
    if (typeof text === 'string' && Number.isNaN(Date.parse(text))) {
      return fieldError(field, 'not an ISO 8601 time')
    }
  }
  const credential = value as unknown as StoredCredential
  return { ok: true, credential: unusableAccessToken ? { ...credential, access_token: '', expires_at: LONG_EXPIRED } : credential }
}

/** The expiry of an access token read as unusable: long past on any clock, so every command renews it first (a literal: no Date formatted on load). */
const LONG_EXPIRED = '1970-01-01T00:00:00.000Z'

/** An OAuth credential whose grant renews it without its access token: a refresh token that is a token, or client credentials. */
function renewsWithoutAccessToken(value: Record<string, unknown>, unusableRefreshToken: boolean): boolean {
  if (value.kind !== 'oauth') return false
  const refresh = value.refresh_token
  return (typeof refresh === 'string' && refresh !== '' && !unusableRefreshToken) || value.grant === 'client_credentials'
}

function notAToken(field: (typeof TOKENS)[number]): ParseResult {
  return fieldError(field, 'not a token: it holds line breaks or control characters')
}

/** A local store's CredentialMark (store/versioned.ts): its kind and text fields. */
function isMark(value: unknown): boolean {
  if (!isPlainObject(value) || typeof value.at !== 'string') return false
  if (value.kind === 'dead') return typeof value.error === 'string'
  return value.kind === 'refresh_in_flight' && typeof value.holder === 'string' && typeof value.fence === 'string'
}

/** Whether a credential really belongs under the key it was stored at. */
export function matchesKey(credential: StoredCredential, key: CredentialKey): boolean {
  return credential.provider === key.provider && credential.profile === key.profile
}

/** "livechat (profile work)": how messages name a credential. */
export function describeKey(key: CredentialKey): string {
  return `${key.provider} (profile ${key.profile})`
}

/**
 * Percent-encodes every byte outside `[A-Za-z0-9._-]`, so a name is safe as a
 * file name on every platform (no `/`, `\`, `:`, `*`, `@`) and reverses with
 * `decodeURIComponent`. A leading `.` is encoded too, so encoded names never
 * look like the hidden temp files written next to them.
 */
export function encodeFileNamePart(name: string): string {
  const encoded = isFileNameSafeText(name)
    ? name
    : Array.from(new TextEncoder().encode(name), (byte) =>
        isFileNameSafe(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
      ).join('')
  return encoded.startsWith('.') ? `%2E${encoded.slice(1)}` : encoded
}

/** Every UTF-16 unit of `text` in `[A-Za-z0-9._-]` (a surrogate never is, so any astral character fails). */
function isFileNameSafeText(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isFileNameSafe(text.charCodeAt(i))) return false
  return true
}

/** `[A-Za-z0-9._-]`, by code (no pattern to compile on every start). */
function isFileNameSafe(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x2e || code === 0x5f || code === 0x2d
}

/** Inverse of {@link encodeFileNamePart}; undefined when the text is not such a name. */
export function decodeFileNamePart(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded)
  } catch {
    return undefined
  }
}

/**
 * Longest keychain password, in UTF-16 code units (JS `length`). Windows
 * Credential Manager caps an item at CRED_MAX_CREDENTIAL_BLOB_SIZE, 5 * 512 =
 * 2560 bytes, and keyring-rs (under @napi-rs/keyring) stores the password as
 * UTF-16LE, two bytes per unit: 1280 units. The rest is margin. Applied on
 * every platform, so the chunked layout is exercised everywhere.
 * @see https://learn.microsoft.com/en-us/windows/win32/api/wincred/ns-wincred-credentialw
 */
export const KEYCHAIN_ITEM_MAX_LENGTH = 1200

/** Chunks per credential, ~600 KB: far beyond any token, and a bound on what a damaged manifest can ask for. */
export const KEYCHAIN_MAX_CHUNKS = 512

/** Marks a password holding deflate-raw + base64 of the credential JSON. */
const COMPRESSED_PREFIX = 'z1:'
const MAX_INFLATED_BYTES = 4 * 1024 * 1024
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const GENERATION = /^[0-9a-f]{1,32}$/
const SHA256_HEX = /^[0-9a-f]{64}$/

/**
 * What the main keychain item holds when the credential is split: how many
 * chunks, under which generation (part of their account names) and the
 * SHA-256 of their concatenation.
 */
export interface ChunkManifest {
  oauth_cli_chunks: number
  generation: string
  sha256: string
}

/** How one credential is laid out in keychain items; every password fits the limit. */
export type KeychainItemPlan =
  | { layout: 'whole'; password: string }
  | { layout: 'chunked'; password: string; manifest: ChunkManifest; chunks: string[] }

/** What a main keychain item's password says. */
export type KeychainItemContent =
  | { layout: 'whole'; json: string }
  | { layout: 'chunked'; manifest: ChunkManifest }
  | { layout: 'unreadable'; reason: string }

/**
 * Lays a credential out in keychain items: the JSON as it is when it fits (the
 * layout of earlier versions), else compressed, else the compressed text split
 * into chunks under `generation`, with a manifest for the main item.
 */
export function planKeychainItem(credential: StoredCredential, generation: string): KeychainItemPlan {
  const json = serializeCredential(credential)
  if (json.length <= KEYCHAIN_ITEM_MAX_LENGTH) return { layout: 'whole', password: json }
  const packed = COMPRESSED_PREFIX + zlib().deflateRawSync(Buffer.from(json, 'utf8')).toString('base64')
  if (packed.length <= KEYCHAIN_ITEM_MAX_LENGTH) return { layout: 'whole', password: packed }
  const chunks: string[] = []
  for (let at = 0; at < packed.length; at += KEYCHAIN_ITEM_MAX_LENGTH) {
    chunks.push(packed.slice(at, at + KEYCHAIN_ITEM_MAX_LENGTH))
  }
  const manifest = { oauth_cli_chunks: chunks.length, generation, sha256: sha256Hex(packed) }
  return { layout: 'chunked', password: JSON.stringify(manifest), manifest, chunks }
}

/**
 * Reads a main keychain item: credential JSON (plain or compressed), or a chunk
 * manifest. Reasons name no values, so they are safe in messages.
 */
export function readKeychainItem(password: string): KeychainItemContent {
  if (password.startsWith(COMPRESSED_PREFIX)) return inflateItem(password.slice(COMPRESSED_PREFIX.length))
  return readManifest(password) ?? { layout: 'whole', json: password }
}

/** Reassembles chunks read in manifest order, checking them against the manifest's hash. */
export function joinKeychainChunks(
  manifest: ChunkManifest,
  chunks: readonly string[],
): Exclude<KeychainItemContent, { layout: 'chunked' }> {
  const packed = chunks.join('')
  if (sha256Hex(packed) !== manifest.sha256) {
    return { layout: 'unreadable', reason: 'its chunks do not match the checksum in its manifest' }
  }
  const content = readKeychainItem(packed)
  return content.layout === 'chunked' ? { layout: 'unreadable', reason: 'its chunks hold another manifest' } : content
}

function inflateItem(base64: string): KeychainItemContent {
  const damaged = { layout: 'unreadable', reason: 'its compressed data is damaged' } as const
  if (!BASE64.test(base64)) return damaged
  try {
    const bytes = zlib().inflateRawSync(Buffer.from(base64, 'base64'), { maxOutputLength: MAX_INFLATED_BYTES })
    return { layout: 'whole', json: bytes.toString('utf8') }
  } catch {
    return damaged
  }
}

/** undefined when the text is no manifest at all (then it should be credential JSON). */
function readManifest(text: string): KeychainItemContent | undefined {
  const value = parseJsonOrUndefined(text)
  if (value === undefined) return undefined
  if (!isPlainObject(value) || !Object.hasOwn(value, 'oauth_cli_chunks')) return undefined
  const { oauth_cli_chunks: count, generation, sha256 } = value
  const valid =
    typeof count === 'number' &&
    Number.isInteger(count) &&
    count >= 1 &&
    count <= KEYCHAIN_MAX_CHUNKS &&
    typeof generation === 'string' &&
    GENERATION.test(generation) &&
    typeof sha256 === 'string' &&
    SHA256_HEX.test(sha256)
  if (!valid) return { layout: 'unreadable', reason: 'its chunk manifest is damaged' }
  return { layout: 'chunked', manifest: { oauth_cli_chunks: count, generation, sha256 } }
}

function sha256Hex(text: string): string {
  return nodeCrypto().createHash('sha256').update(text, 'utf8').digest('hex')
}

function fieldError(field: string, problem: string): ParseResult {
  return { ok: false, reason: `"${field}" is ${problem}` }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
