/**
 * Validation of one provider entry, shared by the built-in catalog and the
 * config file, so a built-in provider is provably "just data" in the same shape.
 *
 * Keys follow RFC 8414 / RFC 7591. Common discovery-only keys (see
 * `isDiscoveryKey`) are accepted so a pasted discovery document validates, and
 * are dropped from the returned config: nothing downstream reads them, and the
 * endpoints that matter are validated like any other entry.
 */
import { ConfigError, type ConfigErrorCode } from './errors'
import type { ApiErrorHint, DeadGrantError, ProviderConfig, RateLimitQuota, StaticCredentialSpec } from './types'
import { isLoopbackHost, isSecureOrLoopbackUrl } from '../oauth/loopback-hosts'
import { plainHttpUrl } from './plain-url'

/**
 * Provider names as they appear on the command line and as config keys. Both cases
 * spelled out rather than /i: the first case-insensitive pattern a process compiles
 * costs ~0.1 ms (its case tables), on every `token`.
 */
export const PROVIDER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

const LOOPBACK_RULE = 'http is allowed only for 127.0.0.1, [::1] and localhost'

/**
 * Where a value sits, for messages: the file (or flag) and the JSON path inside it,
 * spelled out (`pathOf`) only when a message needs it, not for every valid key.
 */
interface Location {
  where: string
  /** The path of a top location; a child's is its parent's plus its key. */
  path?: string
  parent?: Location
  key?: string
}

type Rule<T> = (value: unknown, at: Location) => T

function fail(at: Location, problem: string, code: ConfigErrorCode = 'invalid_value', hint?: string): never {
  const prefix = [at.where, pathOf(at)].filter((part) => part !== '').join(': ')
  throw new ConfigError(code, `${prefix}: ${problem}`, hint === undefined ? {} : { hint })
}

function child(at: Location, key: string): Location {
  return { where: at.where, parent: at, key }
}

function pathOf(at: Location): string {
  if (at.parent === undefined || at.key === undefined) return at.path ?? ''
  const parent = pathOf(at.parent)
  if (parent === '') return at.key
  return /^[A-Za-z0-9_-]+$/.test(at.key) ? `${parent}.${at.key}` : `${parent}[${JSON.stringify(at.key)}]`
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  return Array.isArray(value) ? 'array' : typeof value
}

function expectString(value: unknown, at: Location): string {
  if (typeof value !== 'string') fail(at, `must be a string, got ${describeType(value)}`)
  return value
}

function nonEmptyString(value: unknown, at: Location): string {
  const s = expectString(value, at)
  if (s.trim() === '') fail(at, 'must not be empty')
  return s
}

function expectObject(value: unknown, at: Location): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(at, `must be an object, got ${describeType(value)}`)
  }
  return value as Record<string, unknown>
}

function oneOf<const T extends string>(allowed: readonly T[]): Rule<T> {
  return (value, at) => {
    const s = expectString(value, at)
    // Enum values are never secrets, so echoing the bad one helps.
    if (!(allowed as readonly string[]).includes(s)) fail(at, `must be one of ${allowed.join(', ')}, got "${s}"`)
    return s as T
  }
}

/** Absolute URL without credentials or fragment (RFC 6749 §3.1 and §3.1.2 forbid fragments): its scheme and host. */
function parseUrl(value: unknown, at: Location): Pick<URL, 'protocol' | 'hostname'> {
  const s = nonEmptyString(value, at)
  // What `new URL` would say, without its cost (plain-url.ts); any other form goes through it.
  const plain = plainHttpUrl(s)
  if (plain) return plain
  let url: URL
  try {
    url = new URL(s)
  } catch {
    fail(at, 'must be an absolute URL')
  }
  // Credentials in a URL would end up in traces and messages.
  if (url.username !== '' || url.password !== '') fail(at, 'must not contain a user name or password')
  if (s.includes('#')) fail(at, 'must not contain a fragment (#...)')
  return url
}

/** Endpoints, `api_base_url`: TLS, except on loopback where nothing crosses the network. */
function endpointUrl(value: unknown, at: Location): string {
  const url = parseUrl(value, at)
  if (!isSecureOrLoopbackUrl(url)) fail(at, `must be an https URL (${LOOPBACK_RULE})`, 'insecure_endpoint')
  return value as string
}

/** @see https://www.rfc-editor.org/rfc/rfc8414#section-2 (issuer: no query, no fragment) */
function issuerUrl(value: unknown, at: Location): string {
  const s = endpointUrl(value, at)
  if (new URL(s).search !== '' || s.includes('?')) fail(at, 'must not contain a query (RFC 8414 section 2)')
  return s
}

function redirectUrl(value: unknown, at: Location): string {
  const url = parseUrl(value, at)
  if (url.protocol === 'https:') return value as string
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return value as string
    fail(at, `must be an https URL (${LOOPBACK_RULE})`, 'insecure_endpoint')
  }
  return fail(
    at,
    `must be an https URL or an http loopback URL (http://127.0.0.1, http://[::1] or http://localhost), not a ${url.protocol} URL`,
  )
}

/**
 * Checks a `redirect_uri` given outside the config file (the `--redirect-uri` flag).
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export function validateRedirectUri(value: string, label: string): string {
  return redirectUrl(value, { where: label, path: '' })
}

/** Checks an endpoint found outside the config file (one kept with a stored credential) by the same rule. */
export function validateEndpointUrl(value: string, label: string): string {
  return endpointUrl(value, { where: label, path: '' })
}

/** Documentation links may carry anchors; only the scheme is checked. */
function docsUrl(value: unknown, at: Location): string {
  const s = nonEmptyString(value, at)
  if (!URL.canParse(s) || !/^https?:$/.test(new URL(s).protocol)) fail(at, 'must be an http or https URL')
  return s
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function checkHeader(name: string, value: string, at: Location): void {
  if (!HEADER_NAME.test(name)) fail(at, 'is not a valid HTTP header name')
  if (/[\r\n\0]/.test(value)) fail(at, 'must not contain line breaks')
}

/** Parameters the flow itself owns: overriding them would break state or PKCE checks. */
const RESERVED_AUTHORIZATION_PARAMS: Readonly<Record<string, string>> = {
  state: 'is generated per login',
  code_challenge: 'is generated per login',
  code_challenge_method: 'comes from code_challenge_method',
  response_type: 'is always code',
  client_id: 'comes from client_id',
  redirect_uri: 'comes from redirect_uri',
  scope: 'comes from scope',
}

function checkAuthorizationParam(name: string, _value: string, at: Location): void {
  const reason = RESERVED_AUTHORIZATION_PARAMS[name]
  if (reason !== undefined && Object.hasOwn(RESERVED_AUTHORIZATION_PARAMS, name)) {
    fail(at, `cannot be set here: it ${reason}`)
  }
}

function stringRecord(check: (key: string, value: string, at: Location) => void): Rule<Record<string, string>> {
  return (value, at) => {
    const entries = Object.entries(expectObject(value, at)).map(([key, v]): [string, string] => {
      const where = child(at, key)
      const s = expectString(v, where)
      check(key, s, where)
      return [key, s]
    })
    // fromEntries defines keys as data, so a `__proto__` key cannot touch the prototype.
    return Object.fromEntries(entries)
  }
}

const STATIC_CREDENTIAL_KEYS = ['format', 'scheme', 'headers', 'docs_url'] as const

function headerPair(value: unknown, at: Location): [string, string] {
  if (!Array.isArray(value) || value.length !== 2) fail(at, 'must be an array of two header names')
  const [first, second] = value.map((v, i) => expectString(v, child(at, String(i))))
  for (const [i, name] of [first, second].entries()) {
    if (!HEADER_NAME.test(name as string)) fail(child(at, String(i)), 'is not a valid HTTP header name')
  }
  return [first as string, second as string]
}

function staticCredential(value: unknown, at: Location): StaticCredentialSpec {
  const raw = expectObject(value, at)
  rejectUnknownKeys(raw, STATIC_CREDENTIAL_KEYS, at, () => false)
  if (raw.format === undefined) fail(child(at, 'format'), 'is required (what the user pastes, e.g. ACCOUNT_ID:PAT)')
  if (raw.scheme === undefined) fail(child(at, 'scheme'), 'is required')
  const spec: StaticCredentialSpec = {
    format: nonEmptyString(raw.format, child(at, 'format')),
    scheme: oneOf(['basic', 'raw', 'bearer', 'header_pair'])(raw.scheme, child(at, 'scheme')),
  }
  if (raw.headers !== undefined) spec.headers = headerPair(raw.headers, child(at, 'headers'))
  if (raw.docs_url !== undefined) spec.docs_url = docsUrl(raw.docs_url, child(at, 'docs_url'))
  if (spec.scheme === 'header_pair' && spec.headers === undefined) {
    fail(child(at, 'headers'), 'is required when scheme is header_pair')
  }
  if (spec.scheme !== 'header_pair' && spec.headers !== undefined) {
    fail(child(at, 'headers'), 'is used only when scheme is header_pair')
  }
  return spec
}

function expectBoolean(value: unknown, at: Location): boolean {
  if (typeof value !== 'boolean') fail(at, `must be true or false, got ${describeType(value)}`)
  return value
}

function arrayOf<T>(rule: Rule<T>, options: { nonEmpty?: boolean } = {}): Rule<T[]> {
  return (value, at) => {
    if (!Array.isArray(value)) fail(at, `must be an array, got ${describeType(value)}`)
    if (options.nonEmpty && value.length === 0) fail(at, 'must not be empty')
    return value.map((item, i) => rule(item, child(at, String(i))))
  }
}

function headerName(value: unknown, at: Location): string {
  const s = nonEmptyString(value, at)
  if (!HEADER_NAME.test(s)) fail(at, 'is not a valid HTTP header name')
  return s
}

function httpStatus(value: unknown, at: Location): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 100 || value > 599) {
    fail(at, `must be an HTTP status code (100-599), got ${JSON.stringify(value)}`)
  }
  return value
}

/** A small object with known keys, each checked by its rule; `required` keys must be present. */
function record<T extends object>(
  rules: { readonly [K in keyof T]-?: Rule<NonNullable<T[K]>> },
  required: ReadonlyArray<keyof T & string>,
  after?: (value: T, at: Location) => void,
): Rule<T> {
  const keys = Object.keys(rules)
  return (value, at) => {
    const raw = expectObject(value, at)
    rejectUnknownKeys(raw, keys, at, () => false)
    for (const key of required) if (raw[key] === undefined) fail(child(at, key), 'is required')
    const out: Record<string, unknown> = {}
    for (const key of keys) {
      if (raw[key] === undefined || !Object.hasOwn(raw, key)) continue
      out[key] = (rules as Record<string, Rule<unknown>>)[key]!(raw[key], child(at, key))
    }
    const result = out as T
    after?.(result, at)
    return result
  }
}

function scopeSeparator(value: unknown, at: Location): ' ' | ',' {
  const s = expectString(value, at)
  if (s !== ' ' && s !== ',') fail(at, `must be " " (a space, RFC 6749) or "," (comma), got ${JSON.stringify(s)}`)
  return s
}

const deadGrantError = record<DeadGrantError>(
  { error: nonEmptyString, description_contains: arrayOf(nonEmptyString), unless_description_contains: arrayOf(nonEmptyString) },
  ['error'],
)

const rateLimitQuota = record<RateLimitQuota>(
  { remaining_header: headerName, reset_header: headerName, period: nonEmptyString },
  ['remaining_header', 'period'],
)

const apiErrorHint = record<ApiErrorHint>(
  { status: arrayOf(httpStatus, { nonEmpty: true }), body_field: nonEmptyString, equals: expectString, message: nonEmptyString, hint: nonEmptyString },
  ['message'],
  (hint, at) => {
    if ((hint.body_field === undefined) !== (hint.equals === undefined)) {
      fail(at, 'body_field and equals go together: the hint applies when that body field equals the value')
    }
    if (hint.status === undefined && hint.body_field === undefined) fail(at, 'needs status, or body_field and equals')
  },
)

const clientKinds = record<{ public?: string; confidential?: string }>({ public: nonEmptyString, confidential: nonEmptyString }, [])

/** One rule per ProviderConfig key; the mapped type makes a new field in types.ts a compile error here. */
const FIELD_RULES: { readonly [K in keyof ProviderConfig]-?: Rule<NonNullable<ProviderConfig[K]>> } = {
  issuer: issuerUrl,
  authorization_endpoint: endpointUrl,
  token_endpoint: endpointUrl,
  revocation_endpoint: endpointUrl,
  device_authorization_endpoint: endpointUrl,
  api_base_url: endpointUrl,
  client_id: nonEmptyString,
  client_secret: nonEmptyString,
  token_endpoint_auth_method: oneOf(['client_secret_basic', 'client_secret_post', 'none']),
  // An empty scope is meaningful: it clears a built-in default.
  scope: expectString,
  redirect_uri: redirectUrl,
  authorization_params: stringRecord(checkAuthorizationParam),
  token_request_encoding: oneOf(['form', 'json']),
  display_name: nonEmptyString,
  docs_url: docsUrl,
  revocation_style: oneOf(['rfc7009', 'delete_bearer']),
  code_challenge_method: oneOf(['S256', 'none']),
  default_login: oneOf(['oauth', 'static']),
  static_credential: staticCredential,
  api_headers: stringRecord(checkHeader),
  pagination: oneOf(['jsonapi_page', 'cursor', 'next_page_id', 'link']),
  unverified: nonEmptyString,
  unreachable_hint: nonEmptyString,
  scope_separator: scopeSeparator,
  dead_grant_errors: arrayOf(deadGrantError),
  revoke_replaced_on_login: expectBoolean,
  redirect_uri_required: nonEmptyString,
  rate_limit_quota: rateLimitQuota,
  api_error_hints: arrayOf(apiErrorHint),
  client_kinds: clientKinds,
}

/** Every key a provider entry may carry (besides ignored discovery keys). */
export const PROVIDER_CONFIG_KEYS: readonly string[] = Object.keys(FIELD_RULES)

/**
 * Discovery-only metadata (RFC 8414 §2, OpenID Connect Discovery §3) that this
 * tool does not use. Any `*_supported` key counts, as both specs name capability
 * lists that way; other names are listed so a typo of a real key is still caught.
 */
const DISCOVERY_KEYS = new Set([
  'jwks_uri',
  'registration_endpoint',
  'introspection_endpoint',
  'userinfo_endpoint',
  'end_session_endpoint',
  'check_session_iframe',
  'pushed_authorization_request_endpoint',
  'require_pushed_authorization_requests',
  'backchannel_authentication_endpoint',
  'service_documentation',
  'op_policy_uri',
  'op_tos_uri',
  'signed_metadata',
  'mtls_endpoint_aliases',
  'tls_client_certificate_bound_access_tokens',
  'require_request_uri_registration',
  'require_signed_request_object',
])

/** @see https://www.rfc-editor.org/rfc/rfc8414#section-2 */
export function isDiscoveryKey(key: string): boolean {
  return DISCOVERY_KEYS.has(key) || key.endsWith('_supported')
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution)
    }
    previous = current
  }
  return previous[b.length] as number
}

/** The candidate closest to `input` by edit distance, if close enough to be a plausible typo. */
export function suggestClosest(input: string, candidates: readonly string[]): string | undefined {
  const needle = input.toLowerCase()
  let best: { candidate: string; distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(needle, candidate.toLowerCase())
    if (best === undefined || distance < best.distance) best = { candidate, distance }
  }
  const limit = Math.max(2, Math.floor(input.length / 3))
  return best !== undefined && best.distance <= limit ? best.candidate : undefined
}

function rejectUnknownKeys(
  raw: Record<string, unknown>,
  known: readonly string[],
  at: Location,
  ignore: (key: string) => boolean,
): void {
  for (const key of Object.keys(raw)) {
    if (known.includes(key) || ignore(key)) continue
    const suggestion = suggestClosest(key, known)
    if (suggestion !== undefined) fail(child(at, key), `unknown key; did you mean "${suggestion}"?`)
    fail(child(at, key), 'unknown key', 'invalid_value', `known keys: ${known.join(', ')}`)
  }
}

/**
 * Validates one provider entry and returns a clean copy holding only the known
 * keys. `where` names the source for messages (the config file path); the JSON
 * path `providers.<name>.<key>` is added here.
 *
 * @throws ConfigError `invalid_value` (unknown key, wrong type, bad enum, bad URL)
 *   or `insecure_endpoint` (plain http off loopback)
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2
 */
export function validateProviderConfig(name: string, raw: unknown, where: string): ProviderConfig {
  const at = child({ where, path: 'providers' }, name)
  if (!PROVIDER_NAME_PATTERN.test(name)) {
    fail(at, 'provider names start with a letter or digit and contain only letters, digits, ".", "_" and "-"')
  }
  const entry = expectObject(raw, at)
  rejectUnknownKeys(entry, PROVIDER_CONFIG_KEYS, at, isDiscoveryKey)
  const out: Record<string, unknown> = {}
  for (const key of PROVIDER_CONFIG_KEYS) {
    if (entry[key] === undefined || !Object.hasOwn(entry, key)) continue
    out[key] = FIELD_RULES[key as keyof ProviderConfig](entry[key], child(at, key))
  }
  return out as ProviderConfig
}
