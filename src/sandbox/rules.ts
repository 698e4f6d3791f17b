/**
 * The sandbox's pure protocol checks: PKCE, loopback redirect URIs, scopes and
 * user codes. No state, no I/O beyond hashing.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { isLoopbackRedirectUri } from '../platform/loopback-redirect'
import { SANDBOX_PASTE_REDIRECT_URI, SANDBOX_SCOPES } from './provider'

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const VERIFIER_PATTERN = /^[A-Za-z0-9\-._~]{43,128}$/
/** RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is always 43 characters. */
const S256_CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{43}$/

/** Whether `challenge` can be an S256 code challenge. @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2 */
export function isS256Challenge(challenge: string): boolean {
  return S256_CHALLENGE_PATTERN.test(challenge)
}

/**
 * Whether `verifier` is well-formed and hashes (S256) to `challenge`, compared in constant time.
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.6
 */
export function verifyPkce(verifier: string, challenge: string): boolean {
  if (!VERIFIER_PATTERN.test(verifier) || !isS256Challenge(challenge)) return false
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'))
  const expected = Buffer.from(challenge)
  return computed.length === expected.length && timingSafeEqual(computed, expected)
}

/**
 * Any `http` loopback URI is a registered redirect URI of the sandbox's clients,
 * whatever its port and path (native apps pick a free port), and so is the one
 * HTTPS URI for paste mode (SANDBOX_PASTE_REDIRECT_URI), exactly. Anything else
 * is not, and the server must never redirect to it.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2 (no fragment)
 */
export function isAllowedRedirectUri(raw: string): boolean {
  if (raw === SANDBOX_PASTE_REDIRECT_URI) return true
  if (!URL.canParse(raw)) return false
  const url = new URL(raw)
  return (
    isLoopbackRedirectUri(url) &&
    url.username === '' &&
    url.password === '' &&
    !raw.includes('#')
  )
}

/**
 * Splits a space-separated scope into known scopes, without repeats; undefined
 * when one is unknown or the string is malformed.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function parseScope(raw: string): string[] | undefined {
  const parts = raw.split(' ')
  if (parts.some((part) => !Object.hasOwn(SANDBOX_SCOPES, part))) return undefined
  return [...new Set(parts)]
}

/** Whether every scope asked for is within what was granted. @see https://www.rfc-editor.org/rfc/rfc6749#section-6 */
export function isScopeSubset(asked: readonly string[], granted: readonly string[]): boolean {
  return asked.every((scope) => granted.includes(scope))
}

/**
 * RFC 8628 §6.1's alphabet: consonants only, so no word is spelled and nothing
 * is mistaken (0/O, 1/I).
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'

/** Formats 8 alphabet characters as `ABCD-EFGH`. */
export function formatUserCode(chars: string): string {
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}`
}

/**
 * What the user typed, made comparable: case and separators do not matter.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-6.1
 */
export function normalizeUserCode(typed: string): string {
  const chars = typed.toUpperCase().replace(/[^A-Z]/g, '')
  return chars.length === 8 ? formatUserCode(chars) : ''
}
