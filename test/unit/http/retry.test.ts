import { describe, expect, it } from 'vitest'
import {
  API_RETRY,
  classifyForRetry,
  describeRetry,
  REFRESH_RETRY,
  retryDelayMs,
  withRetry,
  type RetryInfo,
  type RetryOutcome,
} from '../../../src/http/retry'
import { TransportError, type HttpClient, type TransportErrorKind } from '../../../src/http/types'
import { FakeClock } from '../../fakes'

const NOW = Date.parse('2026-01-01T00:00:00Z')

function status(code: number, headers: Record<string, string> = {}): RetryOutcome {
  return { status: code, headers: new Headers(headers) }
}

function failure(kind: TransportErrorKind): RetryOutcome {
  return { error: new TransportError(kind, 'https://api.example/x', `failed: ${kind}`) }
}

describe('classifyForRetry', () => {
  const IDEMPOTENT = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']
  const UNSAFE = ['POST', 'PATCH']

  it.each([...IDEMPOTENT, ...UNSAFE])('api: retries 429 and 503 for %s (the server did not process it)', (method) => {
    expect(classifyForRetry(API_RETRY, method, status(429))).toBe('retry')
    expect(classifyForRetry(API_RETRY, method, status(503))).toBe('retry')
  })

  it.each(IDEMPOTENT)('api: retries 502, 504, timeout and reset for idempotent %s', (method) => {
    for (const outcome of [status(502), status(504), failure('timeout'), failure('reset')]) {
      expect(classifyForRetry(API_RETRY, method, outcome)).toBe('retry')
    }
  })

  it.each(UNSAFE)('api: does not retry 502, 504, timeout or reset for %s (it may have taken effect)', (method) => {
    for (const outcome of [status(502), status(504), failure('timeout'), failure('reset')]) {
      expect(classifyForRetry(API_RETRY, method, outcome)).toBe('no')
    }
  })

  it.each([...IDEMPOTENT, ...UNSAFE])('api: retries connect and dns failures for %s (nothing was sent)', (method) => {
    expect(classifyForRetry(API_RETRY, method, failure('connect'))).toBe('retry')
    expect(classifyForRetry(API_RETRY, method, failure('dns'))).toBe('retry')
  })

  it('matches methods case-insensitively', () => {
    expect(classifyForRetry(API_RETRY, 'get', status(502))).toBe('retry')
    expect(classifyForRetry(API_RETRY, 'post', status(502))).toBe('no')
  })

  it.each([
    ['429', status(429), 'retry'],
    ['503', status(503), 'retry'],
    ['connect', failure('connect'), 'retry'],
    ['dns', failure('dns'), 'retry'],
    ['502', status(502), 'no'],
    ['504', status(504), 'no'],
    ['timeout', failure('timeout'), 'no'],
    ['reset', failure('reset'), 'no'],
  ] as const)('refresh: %s → %s (an ambiguous failure may have rotated the refresh token)', (_name, outcome, expected) => {
    expect(classifyForRetry(REFRESH_RETRY, 'POST', outcome)).toBe(expected)
  })

  it.each([API_RETRY, REFRESH_RETRY])('$name: never retries tls, aborted, other, or final statuses', (policy) => {
    for (const kind of ['tls', 'aborted', 'other'] as const) expect(classifyForRetry(policy, 'GET', failure(kind))).toBe('no')
    for (const code of [200, 201, 301, 400, 401, 403, 404, 409, 422, 500, 501]) {
      expect(classifyForRetry(policy, 'GET', status(code))).toBe('no')
    }
  })
})

describe('retryDelayMs', () => {
  const fixed = (value: number) => () => value

  it('uses Retry-After in seconds', () => {
    expect(retryDelayMs(1, API_RETRY, new Headers({ 'retry-after': '3' }), NOW, fixed(0.5), 503)).toBe(3000)
    expect(retryDelayMs(1, API_RETRY, new Headers({ 'retry-after': '0' }), NOW, fixed(0.5), 429)).toBe(0)
  })

  it('uses Retry-After as an HTTP-date, never negative', () => {
    const later = new Date(NOW + 7000).toUTCString()
    const earlier = new Date(NOW - 7000).toUTCString()
    expect(retryDelayMs(1, API_RETRY, new Headers({ 'retry-after': later }), NOW, fixed(0.5), 503)).toBe(7000)
    expect(retryDelayMs(1, API_RETRY, new Headers({ 'retry-after': earlier }), NOW, fixed(0.5), 503)).toBe(0)
  })

  it('ignores an unreadable Retry-After and backs off instead', () => {
    expect(retryDelayMs(1, API_RETRY, new Headers({ 'retry-after': 'soon' }), NOW, fixed(0.5), 503)).toBe(250)
  })

  it("uses Livestorm's RateLimit-Reset (a Unix timestamp) for a 429 without Retry-After", () => {
    const reset = String((NOW + 4000) / 1000)
    expect(retryDelayMs(1, API_RETRY, new Headers({ 'ratelimit-reset': reset }), NOW, fixed(0.5), 429)).toBe(4000)
  })

  it('reads a small RateLimit-Reset as seconds from now', () => {
    expect(retryDelayMs(1, API_RETRY, new Headers({ 'ratelimit-reset': '2' }), NOW, fixed(0.5), 429)).toBe(2000)
  })

  it('prefers Retry-After to RateLimit-Reset', () => {
    const headers = new Headers({ 'retry-after': '1', 'ratelimit-reset': '9' })
    expect(retryDelayMs(1, API_RETRY, headers, NOW, fixed(0.5), 429)).toBe(1000)
  })

  it('ignores RateLimit-Reset on a 503 (it describes the quota, not the outage)', () => {
    expect(retryDelayMs(1, API_RETRY, new Headers({ 'ratelimit-reset': '9' }), NOW, fixed(0.5), 503)).toBe(250)
  })

  it('jitters fully within a doubling ceiling capped at maxDelayMs', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7].map((attempt) => retryDelayMs(attempt, API_RETRY, undefined, NOW, fixed(0.999999)))
    expect(ceilings).toEqual([499, 999, 1999, 3999, 7999, 7999, 7999])
    for (let attempt = 1; attempt <= 7; attempt++) expect(retryDelayMs(attempt, API_RETRY, undefined, NOW, fixed(0))).toBe(0)
  })

  it('stays within [0, ceiling) for any random value', () => {
    let seed = 42
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
    for (let i = 0; i < 200; i++) {
      const attempt = 1 + (i % 5)
      const delay = retryDelayMs(attempt, REFRESH_RETRY, undefined, NOW, random)
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThan(Math.min(REFRESH_RETRY.maxDelayMs, REFRESH_RETRY.baseDelayMs * 2 ** (attempt - 1)))
    }
  })
})

/** An HttpClient answering each call with the next scripted outcome. */
function scripted(...steps: Array<number | [number, Record<string, string>] | TransportErrorKind>): HttpClient & { calls: number } {
  const client = (async (url: string | URL) => {
    const step = steps[client.calls++]
    if (step === undefined) throw new Error('no more scripted answers')
    if (typeof step === 'string') throw new TransportError(step, String(url), `failed: ${step}`)
    const [code, headers] = typeof step === 'number' ? [step, {}] : step
    return new Response(`body ${code}`, { status: code, headers })
  }) as unknown as HttpClient & { calls: number }
  client.calls = 0
  return client
}

describe('withRetry', () => {
  const half = (): number => 0.5

  it('retries 503, 503 then returns the 200, sleeping twice with growing backoff', async () => {
    const clock = new FakeClock(NOW)
    const http = scripted(503, 503, 200)
    const retries: RetryInfo[] = []
    const res = await withRetry(http, API_RETRY, { clock, random: half, onRetry: (i) => retries.push(i) })('https://api.example/x')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('body 200')
    expect(http.calls).toBe(3)
    expect(clock.sleeps).toEqual([250, 500])
    expect(retries).toEqual([
      { attempt: 1, delayMs: 250, reason: 'HTTP 503' },
      { attempt: 2, delayMs: 500, reason: 'HTTP 503' },
    ])
    expect(describeRetry(retries[0]!)).toBe('retrying in 250 ms (HTTP 503)')
  })

  it('waits what Retry-After asks', async () => {
    const clock = new FakeClock(NOW)
    const http = scripted([429, { 'retry-after': '2' }], 200)
    const res = await withRetry(http, API_RETRY, { clock, random: half })('https://api.example/x')
    expect(res.status).toBe(200)
    expect(clock.sleeps).toEqual([2000])
  })

  it('returns the response as is when Retry-After asks for more than the time budget left', async () => {
    const clock = new FakeClock(NOW)
    const http = scripted([503, { 'retry-after': '31' }], 200)
    const res = await withRetry(http, API_RETRY, { clock, random: half })('https://api.example/x')
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('31')
    expect(await res.text()).toBe('body 503')
    expect(http.calls).toBe(1)
    expect(clock.sleeps).toEqual([])
  })

  it('counts time spent in attempts against the budget', async () => {
    const clock = new FakeClock(NOW)
    const slow: HttpClient = async () => {
      clock.advance(14_000)
      return new Response('', { status: 503, headers: { 'retry-after': '1' } })
    }
    let calls = 0
    const counted: HttpClient = (url, init) => (calls++, slow(url, init))
    const res = await withRetry(counted, REFRESH_RETRY, { clock, random: half })('https://id.example/token', { method: 'POST' })
    expect(res.status).toBe(503)
    // 14 s used, 1 s left of 15 s: one 1 s wait fits, the second attempt then ends at 29 s.
    expect(calls).toBe(2)
    expect(clock.sleeps).toEqual([1000])
  })

  it('gives up after maxAttempts and returns the last response', async () => {
    const clock = new FakeClock(NOW)
    const http = scripted(503, 503, 503, 503, 200)
    const res = await withRetry(http, API_RETRY, { clock, random: half })('https://api.example/x')
    expect(res.status).toBe(503)
    expect(http.calls).toBe(API_RETRY.maxAttempts)
    expect(clock.sleeps).toHaveLength(API_RETRY.maxAttempts - 1)
  })

  it('rethrows the last TransportError after maxAttempts', async () => {
    const clock = new FakeClock(NOW)
    const http = scripted('connect', 'connect', 'connect')
    const err = await withRetry(http, REFRESH_RETRY, { clock, random: half })('https://id.example/token', { method: 'POST' }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(TransportError)
    expect((err as TransportError).kind).toBe('connect')
    expect(http.calls).toBe(3)
  })

  it('retries a reset GET and returns the answer that follows', async () => {
    const clock = new FakeClock(NOW)
    const http = scripted('reset', 200)
    const res = await withRetry(http, API_RETRY, { clock, random: half })('https://api.example/x')
    expect(res.status).toBe(200)
    expect(http.calls).toBe(2)
  })

  it('does not retry a POST whose connection was reset under the api policy', async () => {
    const clock = new FakeClock(NOW)
    const http = scripted('reset', 200)
    const err = await withRetry(http, API_RETRY, { clock, random: half })('https://api.example/x', { method: 'POST', body: '{}' }).catch(
      (e: unknown) => e,
    )
    expect((err as TransportError).kind).toBe('reset')
    expect(http.calls).toBe(1)
    expect(clock.sleeps).toEqual([])
  })

  it('does not retry a refresh that timed out (the refresh token may already be rotated)', async () => {
    const clock = new FakeClock(NOW)
    const http = scripted('timeout', 200)
    const err = await withRetry(http, REFRESH_RETRY, { clock, random: half })('https://id.example/token', { method: 'POST' }).catch(
      (e: unknown) => e,
    )
    expect((err as TransportError).kind).toBe('timeout')
    expect(http.calls).toBe(1)
  })

  it('does not retry a 500', async () => {
    const clock = new FakeClock(NOW)
    const http = scripted(500, 200)
    const res = await withRetry(http, API_RETRY, { clock, random: half })('https://api.example/x')
    expect(res.status).toBe(500)
    expect(http.calls).toBe(1)
  })

  it('resends the same method, headers and body on each attempt', async () => {
    const clock = new FakeClock(NOW)
    const seen: string[] = []
    let n = 0
    const http: HttpClient = async (url, init = {}) => {
      const body = init.body instanceof URLSearchParams ? init.body.toString() : String(init.body)
      seen.push(`${init.method} ${String(url)} ${new Headers((init.headers ?? {}) as HeadersInit).get('x-a')} ${body}`)
      return new Response('', { status: n++ === 0 ? 503 : 200 })
    }
    const body = new URLSearchParams({ grant_type: 'refresh_token' })
    await withRetry(http, REFRESH_RETRY, { clock, random: half })('https://id.example/token', { method: 'POST', headers: { 'x-a': '1' }, body })
    expect(seen).toEqual([
      'POST https://id.example/token 1 grant_type=refresh_token',
      'POST https://id.example/token 1 grant_type=refresh_token',
    ])
  })

  it('stops waiting with an aborted TransportError when the signal fires during the backoff', async () => {
    const clock = new FakeClock(NOW)
    const controller = new AbortController()
    const http = scripted(503, 200)
    const client = withRetry(http, API_RETRY, { clock, random: half, onRetry: () => controller.abort() })
    const err = await client('https://api.example/x?code=secret-code', { signal: controller.signal }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TransportError)
    expect((err as TransportError).kind).toBe('aborted')
    expect((err as TransportError).url).toBe('https://api.example/x')
    expect(http.calls).toBe(1)
  })
})
