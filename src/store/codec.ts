/**
 * The stored shape of a credential, as both stores write it: JSON of
 * {@link StoredCredential}, validated field by field on the way back in so a
 * damaged item is reported instead of half-used. Pure: no I/O.
 */
import type { CredentialKey, StoredCredential } from './credential-store'

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
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, reason: 'not valid JSON' }
  }
  return validateCredential(value)
}

const REQUIRED_STRINGS = ['provider', 'profile', 'access_token', 'token_type', 'updated_at'] as const
const OPTIONAL_STRINGS = [
  'refresh_token',
  'expires_at',
  'client_id',
  'client_secret',
  'token_endpoint',
] as const

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
  if (!Array.isArray(value.scope) || !value.scope.every((s) => typeof s === 'string')) {
    return fieldError('scope', 'not an array of strings')
  }
  if (value.extra !== undefined && !isPlainObject(value.extra)) {
    return fieldError('extra', 'not an object')
  }
  for (const field of ['expires_at', 'updated_at'] as const) {
    const text = value[field]
    if (typeof text === 'string' && Number.isNaN(Date.parse(text))) {
      return fieldError(field, 'not an ISO 8601 time')
    }
  }
  return { ok: true, credential: value as unknown as StoredCredential }
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
  const encoded = Array.from(new TextEncoder().encode(name), (byte) => {
    const ch = String.fromCharCode(byte)
    return /[A-Za-z0-9._-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }).join('')
  return encoded.startsWith('.') ? `%2E${encoded.slice(1)}` : encoded
}

/** Inverse of {@link encodeFileNamePart}; undefined when the text is not such a name. */
export function decodeFileNamePart(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded)
  } catch {
    return undefined
  }
}

function fieldError(field: string, problem: string): ParseResult {
  return { ok: false, reason: `"${field}" is ${problem}` }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
