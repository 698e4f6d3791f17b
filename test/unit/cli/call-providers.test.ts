/**
 * `call` against each built-in provider's documented error and rate-limit
 * shapes (shared/providers.md): LiveChat misdirected_request, Livestorm's
 * monthly quota, burst limit, missing scope and empty /v1/ping, Tidio's
 * api_access_disabled and its 429 without Retry-After. Bodies and headers as documented.
 */
import { describe, expect, it } from 'vitest'
import { executeCall } from '../../../src/cli/commands/call'
import { HttpStatusError } from '../../../src/cli/errors'
import { formatError } from '../../../src/cli/report'
import { jsonResponse, recordingHttp, rejectionOf } from '../../fakes'
import { callDeps, callOptions } from './call-support'

async function failedCall(provider: string, target: string, answer: () => Response, extra: Parameters<typeof callOptions>[0] = {}) {
  const http = recordingHttp(answer)
  const { deps } = await callDeps(provider, http)
  const error = await rejectionOf(executeCall(callOptions({ provider, target, ...extra }), deps), HttpStatusError)
  return { error, deps, http, report: formatError(error, { verbose: false }) }
}

describe('LiveChat misdirected_request', () => {
  const body = { error: { type: 'misdirected_request', message: 'Wrong region', data: { region: 'fra' } } }

  it('repeats data.region and says what it means; the body still goes to stdout; no X-Region is sent', async () => {
    const { error, deps, http, report } = await failedCall('livechat', '/v3.6/agent/action/list_chats', () => jsonResponse(421, body), { data: '{}' })
    expect(error.exitCode).toBe(4)
    expect(deps.io.stdoutText).toBe(JSON.stringify(body))
    expect(report.text).toContain('region "fra" (data.region')
    expect(report.text).toMatch(/wrong region/i)
    expect(http.calls).toHaveLength(1)
    expect(http.calls[0]!.headers.has('x-region')).toBe(false)
  })

  it('says the region was not given when data.region is missing', async () => {
    const { report } = await failedCall('livechat', '/v3.6/agent/action/list_chats', () =>
      jsonResponse(421, { error: { type: 'misdirected_request', message: 'Wrong region' } }), { data: '{}' })
    expect(report.text).toContain('region "(not given)"')
  })
})

describe('Livestorm rate limits', () => {
  // 2026-01-01T00:00:00Z is the fake clock's now; the next monthly period starts 2026-02-01.
  const reset = String(Date.parse('2026-02-01T00:00:00Z') / 1000)
  const quotaHeaders = {
    'RateLimit-Monthly-Limit': '10000',
    'RateLimit-Monthly-Remaining': '0',
    'RateLimit-Interval-Limit': '5',
    'RateLimit-Interval-Remaining': '4',
    'RateLimit-Reset': reset,
    'Retry-After': '1',
  }
  const errors = { errors: [{ title: 'Too Many Requests', detail: 'Monthly quota reached', code: '429', status: 'too_many_requests' }] }

  it('exits 4 at once on a 429 with RateLimit-Monthly-Remaining: 0, saying the quota is spent and when it resets', async () => {
    const { error, deps, http, report } = await failedCall('livestorm', '/v1/events', () => jsonResponse(429, errors, quotaHeaders))
    expect(http.calls).toHaveLength(1)
    expect(deps.clock.sleeps).toEqual([])
    expect(error.exitCode).toBe(4)
    expect(report.text).toContain('the monthly API quota is exhausted; it resets at 2026-02-01T00:00:00.000Z (in 31 days)')
    expect(report.text).toContain('retrying now cannot help')
    expect(deps.io.stdoutText).toBe(JSON.stringify(errors))
  })

  it('retries the 5 requests/s burst limit (quota left) after Retry-After, as before', async () => {
    let n = 0
    const http = recordingHttp(() =>
      ++n === 1
        ? jsonResponse(429, errors, { ...quotaHeaders, 'RateLimit-Monthly-Remaining': '9120', 'RateLimit-Interval-Remaining': '0' })
        : jsonResponse(200, { data: [] }),
    )
    const { deps } = await callDeps('livestorm', http)
    expect(await executeCall(callOptions({ provider: 'livestorm', target: '/v1/events' }), deps)).toBe(0)
    expect(http.calls).toHaveLength(2)
    expect(deps.clock.sleeps).toEqual([1000])
  })
})

describe('Livestorm missing scope', () => {
  it.each([401, 403])('names both 401 and 403 as a possible missing scope on a %i', async (status) => {
    const body = { errors: [{ title: 'Forbidden', detail: 'scope not granted', code: String(status), status: 'forbidden' }] }
    const { error, report } = await failedCall('livestorm', '/v1/me', () => jsonResponse(status, body))
    expect(error.exitCode).toBe(4)
    expect(report.text).toContain('401 or 403')
    expect(report.text).toMatch(/lacks the scope/)
  })
})

describe('Livestorm /v1/ping', () => {
  it.each([false, true])('exits 0 and prints nothing for the documented empty 200 (stdout a terminal: %s)', async (tty) => {
    const http = recordingHttp(() => new Response(null, { status: 200 }))
    const { deps } = await callDeps('livestorm', http, { tty })
    expect(await executeCall(callOptions({ provider: 'livestorm', target: '/v1/ping' }), deps)).toBe(0)
    expect(http.calls[0]!.url).toBe('https://api.livestorm.co/v1/ping')
    expect(http.calls[0]!.headers.get('authorization')).toBe('ls-api-token-0000')
    expect(deps.io.stdoutText).toBe('')
  })
})

describe('Tidio', () => {
  it('403 api_access_disabled: exit 4, the body on stdout, a hint that the plan lacks the OpenAPI', async () => {
    const body = { errors: [{ code: 'api_access_disabled', message: 'API access is disabled' }] }
    const { error, deps, report } = await failedCall('tidio', '/contacts', () => jsonResponse(403, body))
    expect(error.exitCode).toBe(4)
    expect(deps.io.stdoutText).toBe(JSON.stringify(body))
    expect(report.text).toMatch(/plan does not include the OpenAPI \(api_access_disabled\)/)
  })

  it('another 403 gets no plan hint', async () => {
    const { report } = await failedCall('tidio', '/contacts', () => jsonResponse(403, { errors: [{ code: 'unauthorized', message: 'no' }] }))
    expect(report.text).not.toMatch(/OpenAPI/)
  })

  it('backs off on a 429 without Retry-After (x-ratelimit-* only), bounded as for any 429', async () => {
    const headers = { 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '0' }
    const body = { errors: [{ code: 'too_many_requests', message: 'Too many requests' }] }
    const http = recordingHttp(() => jsonResponse(429, body, headers))
    const { deps } = await callDeps('tidio', http)
    const error = await rejectionOf(executeCall(callOptions({ provider: 'tidio', target: '/contacts' }), deps), HttpStatusError)
    expect(error.exitCode).toBe(4)
    // API_RETRY: 4 attempts in all, 3 jittered waits each under its doubling ceiling (500, 1000, 2000 ms).
    expect(http.calls).toHaveLength(4)
    expect(deps.clock.sleeps).toHaveLength(3)
    deps.clock.sleeps.forEach((ms, i) => expect(ms).toBeLessThan(500 * 2 ** i))
    expect(http.calls[0]!.headers.get('accept')).toBe('application/json; version=1')
    expect(http.calls[0]!.headers.get('x-tidio-openapi-client-id')).toBe('ci_1234')
  })
})

describe('--paginate ends where each provider documents its last page', () => {
  it('LiveChat: a page without next_page_id (absent, not only empty) is the last', async () => {
    const pages = [
      { chats_summary: [{ id: 'A' }], found_chats: 2, next_page_id: 'MTUx' },
      { chats_summary: [{ id: 'B' }], found_chats: 2, previous_page_id: 'MTUw' },
    ]
    const http = recordingHttp(() => jsonResponse(200, pages.shift()))
    const { deps } = await callDeps('livechat', http)
    expect(await executeCall(callOptions({ provider: 'livechat', target: '/v3.6/agent/action/list_chats', data: '{"limit":1}', paginate: true }), deps)).toBe(0)
    expect(http.calls.map((c) => c.body)).toEqual(['{"limit":1}', '{"page_id":"MTUx"}'])
    expect(JSON.parse(deps.io.stdoutText)).toEqual([{ id: 'A' }, { id: 'B' }])
  })

  it('Tidio: meta.cursor null is the last page', async () => {
    const pages = [
      { contacts: [{ id: 1 }], meta: { cursor: 'c2', limit: 1 } },
      { contacts: [{ id: 2 }], meta: { cursor: null, limit: 1 } },
    ]
    const http = recordingHttp(() => jsonResponse(200, pages.shift()))
    const { deps } = await callDeps('tidio', http)
    expect(await executeCall(callOptions({ provider: 'tidio', target: '/contacts', paginate: true }), deps)).toBe(0)
    expect(http.calls.map((c) => c.url)).toEqual(['https://api.tidio.com/contacts', 'https://api.tidio.com/contacts?cursor=c2'])
    expect(JSON.parse(deps.io.stdoutText)).toEqual([{ id: 1 }, { id: 2 }])
  })
})
