/**
 * The Bearer challenge of a `WWW-Authenticate` header (RFC 7235 §4.1, RFC 6750 §3):
 * what a resource server says about the token it refused.
 */
import type { HttpHeaders } from './types'

/** `token` (RFC 9110 §5.6.2), then `= token | quoted-string` when it is a parameter. */
const CHALLENGE_PART = /([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*))?/g

/**
 * The parameters (lower-cased names) of the first Bearer challenge, or undefined when there is
 * none. Several challenges may share one header (`Basic realm="x", Bearer error="…"`).
 */
export function bearerChallenge(header: string | null | undefined): Record<string, string> | undefined {
  if (!header) return undefined
  let params: Record<string, string> | undefined
  for (const [, name = '', value] of header.matchAll(CHALLENGE_PART)) {
    if (value === undefined) {
      // A scheme starts the next challenge (a token68 credential is not sent in a challenge to a client).
      if (params) return params
      if (name.toLowerCase() === 'bearer') params = {}
      continue
    }
    if (params) params[name.toLowerCase()] = value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value
  }
  return params
}

/**
 * RFC 6750 §3.1 `insufficient_scope`: the token is good and lacks a scope. A refresh cannot
 * add scope (RFC 6749 §6: no more than the grant's), so it is the answer, not a reason to refresh.
 * `scope` is what the server says the request needs, when it says, reduced to scope-token
 * characters (RFC 6749 §3.3) so that a message can repeat it.
 */
export function insufficientScope(headers: HttpHeaders): { scope?: string } | undefined {
  const challenge = bearerChallenge(headers.get('www-authenticate'))
  if (challenge?.error !== 'insufficient_scope') return undefined
  const scope = (challenge.scope ?? '')
    .split(/\s+/)
    .filter((word) => /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/.test(word))
    .slice(0, 20)
    .join(' ')
  return scope === '' ? {} : { scope }
}
