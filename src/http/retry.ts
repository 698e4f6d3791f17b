/**
 * Retries with capped exponential backoff and full jitter, bounded in count and
 * in total time, for answers that mean "the server did not do it, try later"
 * (429, 503), for gateway failures and dropped connections where repeating the
 * request is harmless, and for requests that never left (connect, DNS).
 * What may be retried depends on the policy: a refresh may already have rotated
 * the refresh token server-side, so an ambiguous failure is never repeated there.
 * The single-use authorization-code exchange is never wrapped at all.
 *
 * Pure apart from the injected clock and random source.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-9.2.2 (idempotent methods)
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3 (Retry-After)
 * @see https://www.rfc-editor.org/rfc/rfc6585#section-4 (429)
 */
import type { Clock } from '../platform/clock'
import { discardBody } from './body'
import { TransportError, type HttpClient, type HttpHeaders, type HttpRequestInit, type HttpResponse, type TransportErrorKind } from './types'

export interface RetryPolicy {
  /** `api`: `call` requests. `refresh`: the refresh grant, where only "never processed" is retried. */
  name: 'api' | 'refresh'
  /** Attempts in all, the first one included. */
  maxAttempts: number
  /** Ceiling of the first backoff; it doubles per attempt up to `maxDelayMs`. */
  baseDelayMs: number
  maxDelayMs: number
  /** No retry starts, and no wait is begun, that would end past this many ms after the first attempt began. */
  maxTotalMs: number
}

export const API_RETRY: RetryPolicy = { name: 'api', maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 8000, maxTotalMs: 30_000 }

export const REFRESH_RETRY: RetryPolicy = {
  name: 'refresh',
  maxAttempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 4000,
  maxTotalMs: 15_000,
}

/** What one attempt produced: an HTTP answer, or no answer at all. */
export type RetryOutcome = { status: number; headers: HttpHeaders } | { error: TransportError }

export interface RetryInfo {
  /** The attempt that just failed (1-based). */
  attempt: number
  delayMs: number
  /** `HTTP 503`, or the transport failure kind such as `reset`. */
  reason: string
}

export interface RetryDeps {
  clock: Clock
  /** Uniform in [0, 1); Math.random by default. */
  random?: () => number
  onRetry?: (info: RetryInfo) => void
  /**
   * An answer that must not be retried although its status usually is: a 429
   * for a spent monthly quota (a provider's `rate_limit_quota`) resets in days.
   */
  isFinal?: (status: number, headers: HttpHeaders) => boolean
}

/** RFC 9110 §9.2.2; POST and PATCH may have taken effect even when the answer was lost. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

/** Below this a `RateLimit-Reset` value reads as seconds from now, not a Unix time. */
const UNIX_TIME_THRESHOLD_S = 1e9

/**
 * Whether an outcome may be retried under a policy. 429 and 503 mean the
 * request was not processed, so any method qualifies; 502, 504, timeouts and
 * resets are ambiguous, so only idempotent methods under `api` do; a failed
 * connect or DNS lookup never sent anything. TLS failures and aborts are final.
 */
export function classifyForRetry(policy: RetryPolicy, method: string, outcome: RetryOutcome): 'retry' | 'no' {
  const ambiguousOk = policy.name === 'api' && IDEMPOTENT_METHODS.has(method.toUpperCase())
  if ('error' in outcome) return classifyTransport(outcome.error.kind, ambiguousOk)
  const { status } = outcome
  if (status === 429 || status === 503) return 'retry'
  if ((status === 502 || status === 504) && ambiguousOk) return 'retry'
  return 'no'
}

function classifyTransport(kind: TransportErrorKind, ambiguousOk: boolean): 'retry' | 'no' {
  switch (kind) {
    case 'connect':
    case 'dns':
      return 'retry'
    case 'timeout':
    case 'reset':
      return ambiguousOk ? 'retry' : 'no'
    case 'tls':
    case 'aborted':
    case 'other':
      return 'no'
    default: {
      const never: never = kind
      return never
    }
  }
}

/**
 * How long to wait after attempt `attempt` (1-based) failed. A server-asked
 * delay wins: `Retry-After` (delta-seconds or HTTP-date), else for a 429
 * Livestorm's `RateLimit-Reset` (Unix seconds; small values read as seconds
 * from now). Otherwise full jitter: uniform in [0, min(maxDelay, base·2^(attempt-1))).
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  headers: HttpHeaders | undefined,
  now: number,
  random: () => number,
  status?: number,
): number {
  const asked = headers ? serverAskedDelayMs(headers, now, status) : undefined
  if (asked !== undefined) return asked
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1))
  return Math.floor(random() * ceiling)
}

/** The delay the server asked for, if it asked in a form we understand. */
export function serverAskedDelayMs(headers: HttpHeaders, now: number, status?: number): number | undefined {
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now)
  if (retryAfter !== undefined) return retryAfter
  if (status !== 429) return undefined
  return parseRateLimitReset(headers.get('ratelimit-reset'), now)
}

function parseRetryAfter(value: string | null, now: number): number | undefined {
  const text = value?.trim()
  if (!text) return undefined
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

function parseRateLimitReset(value: string | null, now: number): number | undefined {
  const text = value?.trim()
  if (!text || !/^\d+(\.\d+)?$/.test(text)) return undefined
  const seconds = Number(text)
  if (seconds < UNIX_TIME_THRESHOLD_S) return Math.ceil(seconds * 1000)
  return Math.max(0, Math.ceil(seconds * 1000 - now))
}

/** One line for the `--verbose` trace: `retrying in 1200 ms (HTTP 503)`. */
export function describeRetry(info: RetryInfo): string {
  return `retrying in ${info.delayMs} ms (${info.reason})`
}

/**
 * Wraps a client so that retryable outcomes are repeated per the policy. The
 * last response (or TransportError) is passed on as is once the policy says
 * stop, including when the server asks for a wait longer than the time left.
 * Bodies are strings, bytes or URLSearchParams, so each attempt resends the same.
 */
export function withRetry(http: HttpClient, policy: RetryPolicy, deps: RetryDeps): HttpClient {
  const random = deps.random ?? Math.random
  return async (url, init = {}) => {
    const method = (init.method ?? 'GET').toUpperCase()
    const started = deps.clock.now()
    for (let attempt = 1; ; attempt++) {
      const outcome = await attemptOnce(http, url, init)
      const now = deps.clock.now()
      const final = !('error' in outcome) && deps.isFinal?.(outcome.status, outcome.headers) === true
      const delayMs = final ? undefined : plannedDelay(policy, { method, attempt, outcome }, { now, elapsedMs: now - started, random })
      if (delayMs === undefined) {
        if ('error' in outcome) throw outcome.error
        return outcome.response
      }
      deps.onRetry?.({ attempt, delayMs, reason: reasonOf(outcome) })
      // The answer being retried is dropped unread, which frees its connection.
      if (!('error' in outcome)) await discardBody(outcome.response)
      await sleepOrAbort(deps.clock, delayMs, url, init)
    }
  }
}

type Attempt = { status: number; headers: HttpHeaders; response: HttpResponse } | { error: TransportError }

async function attemptOnce(http: HttpClient, url: string | URL, init: HttpRequestInit): Promise<Attempt> {
  try {
    const response = await http(url, init)
    return { status: response.status, headers: response.headers, response }
  } catch (err) {
    // The port rejects only with TransportError; anything else is a bug, not a retry case.
    if (err instanceof TransportError) return { error: err }
    throw err
  }
}

/** The wait before the next attempt, or undefined to stop here. */
function plannedDelay(
  policy: RetryPolicy,
  { method, attempt, outcome }: { method: string; attempt: number; outcome: Attempt },
  { now, elapsedMs, random }: { now: number; elapsedMs: number; random: () => number },
): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined
  if (classifyForRetry(policy, method, outcome) === 'no') return undefined
  const response = 'error' in outcome ? undefined : outcome
  const delayMs = retryDelayMs(attempt, policy, response?.headers, now, random, response?.status)
  return delayMs > policy.maxTotalMs - elapsedMs ? undefined : delayMs
}

function reasonOf(outcome: Attempt): string {
  return 'error' in outcome ? outcome.error.kind : `HTTP ${outcome.status}`
}

async function sleepOrAbort(clock: Clock, ms: number, url: string | URL, init: HttpRequestInit): Promise<void> {
  try {
    await clock.sleep(ms, init.signal ?? undefined)
  } catch (err) {
    const target = new URL(url)
    throw new TransportError('aborted', `${target.origin}${target.pathname}`, `request to ${target.host} was aborted`, {
      cause: err,
    })
  }
}
