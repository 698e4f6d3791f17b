/**
 * Learning the secrets a request carries (see http/known-secrets.ts): its
 * auth scheme's credentials (both halves of Basic), the headers the tool
 * filled from a credential, any header not known to be harmless, and
 * secret-named query and body fields. Loaded with the HTTP client.
 */
import { headerEntries } from './client'
import type { KnownSecrets } from './known-secrets'
import { isCredentialRequestHeader, isSecretField, safeDecode } from './redact'
import type { HttpClient, HttpRequestInit } from './types'

/** Bodies larger than this are not searched for secret fields (an upload, not a grant). */
const MAX_BODY_SCAN = 64 * 1024

/** Wraps a client so that every request teaches `known` the secrets it carries, before it is sent. */
export function withSecretLearning(http: HttpClient, known: KnownSecrets): HttpClient {
  return (url, init = {}) => {
    learnFromRequest(known, url, init)
    return http(url, init)
  }
}

export function learnFromRequest(known: KnownSecrets, url: string | URL, init: HttpRequestInit): void {
  const fromCredential = new Set((init.credentialHeaders ?? []).map((n) => n.toLowerCase()))
  for (const [name, value] of headerEntries(init.headers ?? {})) {
    if (name === 'authorization' || name === 'proxy-authorization') known.add(...authSecrets(value))
    else if (fromCredential.has(name) || isCredentialRequestHeader(name)) known.add(value)
  }
  try {
    for (const [name, value] of new URL(url).searchParams) if (isSecretField(name)) known.add(value)
  } catch {
    // not a URL: nothing to learn
  }
  learnFromBody(known, init)
}

/** `Bearer X` → X; `Basic b64` → b64, and the secret half of what it encodes; a bare value → itself. */
function authSecrets(value: string): string[] {
  const match = /^([A-Za-z][\w-]*)\s+(\S.*)$/.exec(value.trim())
  if (!match) return [value]
  const [, scheme, credentials] = match as unknown as [string, string, string]
  if (scheme.toLowerCase() !== 'basic') return [credentials]
  const decoded = Buffer.from(credentials, 'base64').toString('utf8')
  const at = decoded.indexOf(':')
  if (at < 0) return [credentials]
  const secret = decoded.slice(at + 1)
  return [credentials, secret, safeDecode(secret)]
}

function learnFromBody(known: KnownSecrets, init: HttpRequestInit): void {
  const { body } = init
  if (body === undefined || body === null) return
  if (body instanceof URLSearchParams) {
    for (const [name, value] of body) if (isSecretField(name)) known.add(value)
    return
  }
  const text = typeof body === 'string' ? body : body.byteLength <= MAX_BODY_SCAN ? new TextDecoder().decode(body) : ''
  if (text.length === 0 || text.length > MAX_BODY_SCAN) return
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    try {
      learnFromJson(known, JSON.parse(trimmed))
      return
    } catch {
      // not JSON after all
    }
  }
  if (/^[\w.%-]+=/.test(trimmed)) {
    for (const [name, value] of new URLSearchParams(trimmed)) if (isSecretField(name)) known.add(value)
  }
}

function learnFromJson(known: KnownSecrets, value: unknown, key?: string): void {
  if (typeof value === 'string') {
    if (key !== undefined && isSecretField(key)) known.add(value)
  } else if (Array.isArray(value)) {
    for (const item of value) learnFromJson(known, item, key)
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) learnFromJson(known, v, k)
  }
}
