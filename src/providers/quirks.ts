/**
 * Pure readings of the declarative quirk fields (types.ts) that core code asks
 * about: is this token error a dead grant, is this 429 a spent quota, which
 * hints fit this API error. Providers stay data; nothing here knows a name.
 */
import { parseJsonOrUndefined } from '../platform/json'
import type { ApiErrorHint, ProviderConfig, RateLimitQuota } from './types'

/** RFC 6749 §5.2: the grant (code or refresh token) is invalid, expired or revoked. Always dead. */
const STANDARD_DEAD_GRANT = 'invalid_grant'

/**
 * The statuses of an RFC 6749 §5.2 error answer: 400, and 401 for a client
 * that failed to authenticate (LiveChat answers its dead refresh token with
 * 401). Only there has the provider said a grant is dead: a 5xx is the server
 * failing whatever its body says (a gateway or a broken backend), and a 2xx,
 * 403 or 429 is not §5.2's answer.
 */
const ERROR_ANSWER_STATUSES: ReadonlySet<number | undefined> = new Set([400, 401])

/**
 * Whether a token-endpoint error means the grant itself is dead, in a 400 or
 * 401 answer: `invalid_grant`, or one of the provider's `dead_grant_errors`.
 * A rule that reads the description counts only a description that says so
 * (one naming a `description_contains` word, or without those words, one not
 * naming an `unless_description_contains` word): an empty or missing one is
 * ambiguous, and ambiguous is never dead (LiveChat's `unauthorized_client` is
 * also a bad client secret or redirect URI).
 */
export function isDeadGrantError(
  config: Pick<ProviderConfig, 'dead_grant_errors'>,
  error: { error: string; error_description?: string | undefined; status?: number | undefined },
): boolean {
  if (!ERROR_ANSWER_STATUSES.has(error.status)) return false
  if (error.error === STANDARD_DEAD_GRANT) return true
  const description = (error.error_description ?? '').trim().toLowerCase()
  const names = (words: string[]): boolean => words.some((word) => description.includes(word.toLowerCase()))
  return (config.dead_grant_errors ?? []).some((rule) => {
    if (rule.error !== error.error) return false
    const { description_contains: named, unless_description_contains: unless } = rule
    if (named === undefined && unless === undefined) return true
    if (description === '') return false
    return named !== undefined ? names(named) : !names(unless ?? [])
  })
}

/** A spent long-period quota, read from a 429's headers. */
export interface QuotaExhausted {
  period: string
  /** Epoch ms when it resets, when the provider said. */
  resets_at?: number
}

/** Below this a reset value reads as seconds from now, not a Unix time (as in http/retry). */
const UNIX_TIME_THRESHOLD_S = 1e9

/**
 * The quota a 429 says is spent (`remaining_header` is 0), or undefined for any
 * other answer, such as a short burst limit that a retry gets past.
 */
export function exhaustedQuota(
  quota: RateLimitQuota | undefined,
  status: number,
  headers: Pick<Headers, 'get'>,
  now: number,
): QuotaExhausted | undefined {
  if (quota === undefined || status !== 429) return undefined
  const remaining = headers.get(quota.remaining_header)?.trim()
  if (remaining === undefined || !/^\d+$/.test(remaining) || Number(remaining) !== 0) return undefined
  const resets = quota.reset_header === undefined ? undefined : parseReset(headers.get(quota.reset_header), now)
  return resets === undefined ? { period: quota.period } : { period: quota.period, resets_at: resets }
}

function parseReset(value: string | null, now: number): number | undefined {
  const text = value?.trim()
  if (!text) return undefined
  if (/^\d+(\.\d+)?$/.test(text)) {
    const seconds = Number(text)
    return seconds < UNIX_TIME_THRESHOLD_S ? now + Math.ceil(seconds * 1000) : Math.ceil(seconds * 1000)
  }
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : date
}

/** What the quota message says: `the monthly quota is exhausted; it resets at 2026-12-01T00:00:00.000Z (in 9 days)`. */
export function describeQuota(exhausted: QuotaExhausted, now: number): string {
  const base = `the ${exhausted.period} API quota is exhausted`
  if (exhausted.resets_at === undefined) return `${base}; the provider did not say when it resets`
  return `${base}; it resets at ${new Date(exhausted.resets_at).toISOString()} (${describeSpan(exhausted.resets_at - now)})`
}

function describeSpan(ms: number): string {
  if (ms <= 0) return 'now'
  const minutes = Math.ceil(ms / 60_000)
  if (minutes < 90) return `in ${minutes} min`
  const hours = Math.round(minutes / 60)
  if (hours < 48) return `in ${hours} h`
  return `in ${Math.round(hours / 24)} days`
}

/** Whether a hint for this status reads the body (then the caller must keep it to pass here). */
export function needsErrorBody(hints: readonly ApiErrorHint[] | undefined, status: number): boolean {
  return (hints ?? []).some((hint) => (hint.status === undefined || hint.status.includes(status)) && (hint.body_field !== undefined || /\{[A-Za-z0-9_.-]+\}/.test(hint.message)))
}

/**
 * The messages of every `api_error_hints` entry that applies to this answer,
 * with `{dotted.path}` filled from the JSON body.
 */
export function apiErrorHints(hints: readonly ApiErrorHint[] | undefined, status: number, body: Uint8Array | string): string[] {
  if (!hints || hints.length === 0) return []
  const json = parseJson(body)
  return matchingHints(hints, status, body, json).map((hint) =>
    hint.message.replace(/\{([A-Za-z0-9_.-]+)\}/g, (_, path: string) => scalarText(fieldAt(json, path)) ?? '(not given)'),
  )
}

/** The `api_error_hints` entries that apply to this answer. */
function matchingHints(
  hints: readonly ApiErrorHint[] | undefined,
  status: number,
  body: Uint8Array | string,
  json: unknown = hints?.some((hint) => hint.body_field !== undefined) ? parseJson(body) : undefined,
): ApiErrorHint[] {
  return (hints ?? [])
    .filter((hint) => hint.status === undefined || hint.status.includes(status))
    .filter((hint) => hint.body_field === undefined || scalarText(fieldAt(json, hint.body_field)) === hint.equals)
}

/** The `hint` of the first matching `api_error_hints` entry that has one: what to do, in place of the generic hint. */
export function apiErrorFix(hints: readonly ApiErrorHint[] | undefined, status: number, body: Uint8Array | string): string | undefined {
  return matchingHints(hints, status, body).find((hint) => hint.hint !== undefined)?.hint
}

function parseJson(body: Uint8Array | string): unknown {
  return parseJsonOrUndefined(typeof body === 'string' ? body : new TextDecoder().decode(body))
}

/** `error.data.region`, `errors.0.code`: own properties only, array indexes as numbers. */
export function fieldAt(json: unknown, path: string): unknown {
  let value: unknown = json
  for (const step of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, step)) return undefined
    value = (value as Record<string, unknown>)[step]
  }
  return value
}

/** Strings, numbers and booleans as text; anything else (objects, absent) as undefined. Control characters are dropped. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, 200)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return undefined
}
