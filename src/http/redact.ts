/**
 * Redaction for everything that may be shown to a human: the `--verbose`
 * trace and error messages. Pure functions; the only rule is that a token,
 * secret, code or verifier never survives, even at the cost of hiding a
 * harmless value now and then.
 */
import { secretsExpression } from './secret-forms'
import type { HttpHeaders } from './types'

/** What a secret is replaced with. */
export const REDACTED = '[redacted]'

/**
 * Parameter and field names whose values are secret, compared after
 * lower-casing and dropping `_`/`-`/`.` so that `refresh_token`,
 * `refreshToken` and `Refresh-Token` all match.
 * `state`, `user_code` and `client_id` are deliberately absent: they are not
 * secrets, and seeing them helps when debugging a flow.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.3
 */
const SECRET_FIELDS = new Set([
  'code',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'clientsecret',
  'codeverifier',
  'devicecode',
  'token',
  'password',
  'passphrase',
  'apikey',
  'key',
  'secret',
  'assertion',
  'clientassertion',
  'subjecttoken',
  'actortoken',
])

/** A field ending like this is secret too (`csrf_token`, `app_secret`, `x_api_key`). */
const SECRET_SUFFIXES = ['token', 'secret', 'password', 'apikey']

/**
 * Header names containing one of these (after normalising) are secret:
 * `X-Auth-Key`, `Authentication`, `X-Signature`, `X-Api-Key`, `Set-Cookie`, `X-Session-Id`.
 */
const SECRET_HEADER_PARTS = [
  'token', 'secret', 'apikey', 'key', 'password', 'passwd', 'session', 'cookie', 'auth', 'signature',
  'credential', 'csrf', 'xsrf', 'jwt',
]
/** Names that match a part above but carry no secret: the challenge tells how to authenticate, not with what. */
const NOT_SECRET_HEADERS = new Set(['wwwauthenticate', 'proxyauthenticate', 'keepalive'])

/** Headers whose value starts with an auth scheme worth keeping ("Bearer [redacted]"). */
const AUTH_HEADERS = new Set(['authorization', 'proxyauthorization'])

/**
 * Request headers known to carry no credential. Every other request header's
 * value is redacted in the trace: a user's `-H X-Whatever: …` may well be an
 * API key under a name no pattern foresees, and the user knows what they typed.
 */
const HARMLESS_REQUEST_HEADERS = new Set([
  'accept', 'acceptcharset', 'acceptencoding', 'acceptlanguage', 'cachecontrol', 'connection', 'contentencoding',
  'contentlanguage', 'contentlength', 'contenttype', 'date', 'expect', 'host', 'ifmatch', 'ifmodifiedsince',
  'ifnonematch', 'ifrange', 'ifunmodifiedsince', 'origin', 'pragma', 'prefer', 'range', 'referer', 'te',
  'traceparent', 'tracestate', 'useragent', 'xrequestid', 'xcorrelationid', 'xrequestedwith', 'xhttpmethodoverride',
  'idempotencykey',
])

/** Three (JWS) or five (JWE) base64url segments, the first a JSON header (`ey…`). */
const JWT_PATTERN = /\bey[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}/g

/**
 * Credentials after an auth scheme, up to white space or a delimiter: wider than
 * RFC 7235's token68, since real tokens hold `:` (LiveChat's `dal:…`) and more.
 */
const SCHEME_PATTERN = /\b(Bearer|Basic|Digest|DPoP)(\s+)([^\s"',;<>()[\]{}]+)/gi

/**
 * What follows a scheme's name in a sentence rather than a credential
 * ("only Bearer is supported", "Basic auth", "Bearer or DPoP"): compared in
 * lower case. No issued token is one of these words.
 */
const SCHEME_PROSE = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'auth', 'authentication', 'authorization', 'be', 'but', 'by', 'challenge',
  'credential', 'credentials', 'expected', 'for', 'from', 'header', 'headers', 'in', 'is', 'isn', 'it', 'must', 'not',
  'of', 'on', 'only', 'or', 'proof', 'required', 'scheme', 'schemes', 'should', 'supported', 'than', 'that',
  'the', 'then', 'to', 'token', 'tokens', 'type', 'was', 'were', 'will', 'with', 'without',
])

/**
 * A challenge's first parameter (RFC 6750 §3, RFC 7616 §3.3, RFC 9449 §7.1,
 * RFC 9728 §5.1): `Bearer realm="api"` tells how to authenticate, not with what.
 */
const CHALLENGE_PARAMETER = /^(?:realm|scope|error|error_description|error_uri|nonce|opaque|qop|algorithm|stale|domain|algs|charset|resource_metadata)=/i

/** Whether what follows a scheme's name is a credential: neither a word of prose nor a challenge's parameter. */
function isSchemeCredential(word: string): boolean {
  return !SCHEME_PROSE.has(word.toLowerCase().replace(/[.!?:]+$/, '')) && !CHALLENGE_PARAMETER.test(word)
}

/** `scheme://user:password@` in free text (a mistyped --store URL echoed by the option parser, a driver's message). */
const URL_PASSWORD_PATTERN = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:'"]*:)[^\s/?#@'"]+@/gi
/**
 * `name=value` (query strings, form bodies, log lines). In free text a value
 * runs on past an `&` that does not start another `name=` (a decoded
 * `refresh_token=r/t+1=2&3` is one value).
 */
const PAIR_PATTERN = /([A-Za-z][\w.-]*)=([^&\s"',;<>]+(?:&(?![A-Za-z][\w.-]*=)[^&\s"',;<>]+)*)/g
/** `"name": "value"` (JSON quoted in a message). */
const JSON_PAIR_PATTERN = /"([^"\\]{1,64})"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g
/** `name: 'value'` (util.inspect output in stack traces and logs). */
const INSPECT_PAIR_PATTERN = /\b([A-Za-z_]\w*)(\s*:\s*)'((?:[^'\\]|\\.)*)'/g

function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_.\s]/g, '')
}

/** Whether a query parameter, form field or JSON key holds a secret. */
export function isSecretField(name: string): boolean {
  const key = normalise(name)
  return SECRET_FIELDS.has(key) || SECRET_SUFFIXES.some((suffix) => key.endsWith(suffix))
}

/** Whether a header, by its normalised name, holds a secret. */
function isSecretHeaderKey(key: string): boolean {
  return !NOT_SECRET_HEADERS.has(key) && SECRET_HEADER_PARTS.some((part) => key.includes(part))
}

/** Whether a request header other than Authorization may carry a credential (anything not known to be harmless). */
export function isCredentialRequestHeader(name: string): boolean {
  return isCredentialRequestHeaderKey(normalise(name))
}

function isCredentialRequestHeaderKey(key: string): boolean {
  return !AUTH_HEADERS.has(key) && !HARMLESS_REQUEST_HEADERS.has(key)
}

function redactAuthValue(value: string): string {
  const match = /^([A-Za-z][\w-]*)\s+\S/.exec(value)
  // A bare value (Livestorm sends `Authorization: <token>`) is all secret.
  return match ? `${match[1]} ${REDACTED}` : REDACTED
}

function headerEntries(headers: HttpHeaders | Record<string, string>): Array<[string, string]> {
  const entries: Array<[string, string]> = []
  // Duck-typed: `instanceof Headers` would load Node's bundled undici (see http/types.ts).
  if (typeof headers.forEach === 'function') (headers as HttpHeaders).forEach((value, name) => entries.push([name, value]))
  else entries.push(...Object.entries(headers))
  return entries
}

/**
 * Copies (response) headers into a plain object with secret values replaced: by
 * name, and any known secret value anywhere. The auth scheme of `Authorization`
 * stays visible, since it tells how the client authenticated.
 */
export function redactHeaders(headers: HttpHeaders | Record<string, string>, known: readonly string[] = []): Record<string, string> {
  return redactHeaderValues(headers, isSecretHeaderKey, known)
}

/**
 * Request headers as the trace shows them: `Authorization` keeps its scheme;
 * a header the tool filled from a credential (`credentialHeaders`, e.g. a
 * configured header pair) and any header not known to be harmless are redacted whole.
 */
export function redactRequestHeaders(
  headers: HttpHeaders | Record<string, string>,
  options: { credentialHeaders?: readonly string[]; known?: readonly string[] } = {},
): Record<string, string> {
  const filled = new Set((options.credentialHeaders ?? []).map(normalise))
  const secret = (key: string): boolean => filled.has(key) || isCredentialRequestHeaderKey(key) || isSecretHeaderKey(key)
  return redactHeaderValues(headers, secret, options.known)
}

/**
 * Each value redacted: an auth header keeps its scheme, a `secret` one goes
 * whole, the rest as free text. Each name is normalised once, here.
 */
function redactHeaderValues(
  headers: HttpHeaders | Record<string, string>,
  secret: (key: string) => boolean,
  known: readonly string[] = [],
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of headerEntries(headers)) {
    const key = normalise(name)
    if (AUTH_HEADERS.has(key)) out[name] = redactAuthValue(value)
    else if (secret(key)) out[name] = REDACTED
    else out[name] = redactText(value, known)
  }
  return out
}

/** Redacts `name=value` pairs of a query string or form body, keeping the rest byte for byte. */
function redactPairs(encoded: string): string {
  return encoded
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=')
      if (eq === -1) return pair
      const name = safeDecode(pair.slice(0, eq))
      const value = safeDecode(pair.slice(eq + 1))
      if (isSecretField(name) || containsJwt(value)) return `${pair.slice(0, eq)}=${REDACTED}`
      return pair
    })
    .join('&')
}

/** application/x-www-form-urlencoded decoding of one value; the text itself when it does not decode. */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    return text
  }
}

function containsJwt(text: string): boolean {
  JWT_PATTERN.lastIndex = 0
  return JWT_PATTERN.test(text)
}

/**
 * Redacts secret query (and fragment) parameters and any password in the
 * user-info part. Anything that does not parse as a URL is treated as free text.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return redactText(String(url))
  }
  const password = parsed.password ? `:${REDACTED}` : ''
  const userinfo = parsed.username || parsed.password ? `${parsed.username}${password}@` : ''
  const base = `${parsed.protocol}//${userinfo}${parsed.host}${parsed.pathname}`
  const query = parsed.search ? `?${redactPairs(parsed.search.slice(1))}` : ''
  // The implicit grant put tokens in the fragment.
  const fragment = parsed.hash ? `#${redactPairs(parsed.hash.slice(1))}` : ''
  return base + query + fragment
}

/**
 * Redacts a request or response body. JSON (by content type, or by shape when
 * there is none) is walked recursively; form bodies are redacted per field;
 * anything else is treated as free text.
 */
export function redactBody(body: string, contentType?: string): string {
  const type = contentType?.toLowerCase() ?? ''
  const trimmed = body.trim()
  const looksJson = trimmed.startsWith('{') || trimmed.startsWith('[')
  if (type.includes('json') || (!type && looksJson)) {
    try {
      return JSON.stringify(redactJson(JSON.parse(body)))
    } catch {
      return redactText(body)
    }
  }
  const looksForm = /^[\w.%-]+=[^\s]*$/.test(trimmed)
  if (type.includes('x-www-form-urlencoded') || (!type && looksForm)) return redactPairs(trimmed)
  return redactText(body)
}

function redactJson(value: unknown, key?: string): unknown {
  if (typeof value === 'string') return key !== undefined && isSecretField(key) ? REDACTED : redactText(value)
  // A numeric `code` is an error code, not an authorization code.
  if (typeof value === 'number') return key && key !== 'code' && isSecretField(key) ? REDACTED : value
  if (Array.isArray(value)) return value.map((item) => redactJson(item, key))
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactJson(v, k)]))
  }
  return value
}

/**
 * Redacts free text such as error messages and stack traces: the known
 * secret values given (at least 4 characters, so that a tiny value cannot
 * blank out the whole text), auth-scheme credentials, JWTs, and
 * `name=value` / `"name":"value"` pairs with a secret name.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = redactKnown(text, secrets)
  out = out.replace(JWT_PATTERN, REDACTED)
  out = out.replace(URL_PASSWORD_PATTERN, (_m, head: string) => `${head}${REDACTED}@`)
  out = out.replace(SCHEME_PATTERN, (m, scheme: string, space: string, word: string) =>
    isSchemeCredential(word) ? `${scheme}${space}${REDACTED}` : m,
  )
  out = out.replace(PAIR_PATTERN, (m, name: string, value: string) =>
    isSecretField(name) ? `${name}=${REDACTED}${unbalancedClosers(value)}` : m,
  )
  out = out.replace(JSON_PAIR_PATTERN, (m, name: string, colon: string) =>
    isSecretField(name) ? `"${name}"${colon}"${REDACTED}"` : m,
  )
  out = out.replace(INSPECT_PAIR_PATTERN, (m, name: string, colon: string) =>
    isSecretField(name) ? `${name}${colon}'${REDACTED}'` : m,
  )
  return out
}

/**
 * The closing brackets a matched value ends with that close something opened
 * before it (`(… client_secret=abc)`): they belong to the message, not the value.
 */
function unbalancedClosers(value: string): string {
  const opener: Record<string, string> = { ')': '(', ']': '[', '}': '{' }
  let end = value.length
  while (end > 0 && opener[value[end - 1]!]) {
    const rest = value.slice(0, end)
    const close = value[end - 1]!
    if (rest.split(close).length <= rest.split(opener[close]!).length) break
    end--
  }
  return value.slice(end)
}

/**
 * Replaces each known secret value (at least 4 characters), longest first,
 * wherever it appears in any form it travels in: raw, percent- or
 * form-encoded, JSON-escaped (http/secret-forms.ts).
 */
export function redactKnown(text: string, secrets: readonly string[]): string {
  if (secrets.length === 0) return text
  const expression = secretsExpression(text, secrets, 4)
  return expression ? text.replace(expression, REDACTED) : text
}
