/**
 * Fault injection from the local provider: what each failure does to `call`,
 * `refresh` and `login` (retry or not, exit code, output), and that the stored
 * credentials survive every one of them.
 */
import { describe, expect } from 'vitest'
import {
  apiRequests,
  expectExit,
  grantTypes,
  it,
  last,
  loginAcme,
  parseStdout,
  SUITE,
  statusJson,
  tokenRequests,
  type MakeWorld,
  type World,
} from './world'

async function loggedIn(makeWorld: MakeWorld): Promise<World> {
  const world = await makeWorld()
  await loginAcme(world)
  return world
}

/** What is stored, and the token `token` prints: both must be unchanged by a failed request. */
async function snapshot(world: World): Promise<{ status: unknown; token: string }> {
  const token = await world.cli(['token', 'acme'])
  expectExit(token, 0)
  return { status: await statusJson(world), token: token.stdout }
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now()
  const result = await work()
  return { result, ms: performance.now() - started }
}

describe('call: retried faults', SUITE, () => {
  it('retries a 503 after the Retry-After wait and prints the answer that follows', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    world.fp.injectApiFault({ status: 503, headers: { 'retry-after': '1' }, body: 'busy' })
    const { result: run, ms } = await timed(() => world.cli(['call', 'acme', '/things', '--verbose']))
    expectExit(run, 0)
    expect(parseStdout<{ path: string }>(run).path).toBe('/api/things')
    expect(apiRequests(world.fp)).toHaveLength(2)
    expect(run.stderr).toContain('* retrying in 1000 ms (HTTP 503)')
    expect(ms).toBeGreaterThanOrEqual(1000)
  })

  it('retries a POST answered 429 (not processed), sending the same body again', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    world.fp.injectApiFault({ status: 429, headers: { 'retry-after': '0' }, body: '{"error":"too_many_requests"}' })
    const run = await world.cli(['call', 'acme', '/things', '-d', '{"x":1}'])
    expectExit(run, 0)
    const seen = apiRequests(world.fp)
    expect(seen.map((r) => `${r.method} ${r.body}`)).toEqual(['POST {"x":1}', 'POST {"x":1}'])
    expect(parseStdout<{ method: string }>(run).method).toBe('POST')
  })

  it("waits for Livestorm's RateLimit-Reset on a 429 without Retry-After", async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    world.fp.injectApiFault({ status: 429, headers: { 'ratelimit-reset': '1' } })
    const { result: run, ms } = await timed(() => world.cli(['call', 'acme', '/things', '--verbose']))
    expectExit(run, 0)
    expect(apiRequests(world.fp)).toHaveLength(2)
    expect(run.stderr).toContain('* retrying in 1000 ms (HTTP 429)')
    expect(ms).toBeGreaterThanOrEqual(1000)
  })

  it('retries a GET whose connection was reset', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    world.fp.injectApiFault('reset')
    const run = await world.cli(['call', 'acme', '/things'])
    expectExit(run, 0)
    expect(apiRequests(world.fp)).toHaveLength(2)
  })

  it('retries a GET answered 502 by a gateway', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    world.fp.injectApiFault({ status: 502, body: '<html>bad gateway</html>', headers: { 'content-type': 'text/html' } })
    const run = await world.cli(['call', 'acme', '/things'])
    expectExit(run, 0)
    expect(run.stdout).not.toContain('bad gateway')
    expect(apiRequests(world.fp)).toHaveLength(2)
  })

  it('retries a GET that got no answer within --request-timeout', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    world.fp.injectApiFault('hang')
    const run = await world.cli(['call', 'acme', '/things', '--request-timeout', '1'])
    expectExit(run, 0)
    expect(apiRequests(world.fp)).toHaveLength(2)
  })

  it('exits 4 with the last body after maxAttempts when the 503 persists', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const before = await snapshot(world)
    world.fp.injectApiFault({ status: 503, headers: { 'retry-after': '0' }, body: 'still down' }, Infinity)
    const run = await world.cli(['call', 'acme', '/things'])
    expectExit(run, 4)
    expect(run.stdout).toBe('still down')
    expect(run.stderr).toMatch(/503/)
    expect(apiRequests(world.fp)).toHaveLength(4)
    expect(await snapshot(world)).toEqual(before)
  })

  it('gives up at once when Retry-After asks for more than the time budget', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    world.fp.injectApiFault({ status: 503, headers: { 'retry-after': '120' }, body: 'come back later' })
    const { result: run, ms } = await timed(() => world.cli(['call', 'acme', '/things']))
    expectExit(run, 4)
    expect(run.stdout).toBe('come back later')
    expect(apiRequests(world.fp)).toHaveLength(1)
    expect(ms).toBeLessThan(15_000)
  })
})

describe('call: faults that are not retried', SUITE, () => {
  it('exits 4 on a 500 at once, with the body on stdout', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const before = await snapshot(world)
    world.fp.injectApiFault({ status: 500, body: '{"error":"boom"}', headers: { 'content-type': 'application/json' } })
    const run = await world.cli(['call', 'acme', '/things'])
    expectExit(run, 4)
    expect(run.stdout).toBe('{"error":"boom"}')
    expect(run.stderr).toMatch(/500/)
    expect(apiRequests(world.fp)).toHaveLength(1)
    expect(await snapshot(world)).toEqual(before)
  })

  it('exits 5 quickly when a POST gets no answer within --request-timeout, sending it once', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const before = await snapshot(world)
    world.fp.injectApiFault('hang', Infinity)
    const { result: run, ms } = await timed(() => world.cli(['call', 'acme', '/things', '-d', '{}', '--request-timeout', '1']))
    expectExit(run, 5)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/timed out/)
    expect(apiRequests(world.fp)).toHaveLength(1)
    expect(ms).toBeLessThan(15_000)
    expect(await snapshot(world)).toEqual(before)
  })

  it('exits 5 when a response body stalls past --request-timeout', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    world.fp.injectApiFault('stall', Infinity)
    const run = await world.cli(['call', 'acme', '/things', '-X', 'POST', '--request-timeout', '1'])
    expectExit(run, 5)
    // Written as it arrived (issue 14): what came before the stall, and stderr says it is only part of the body.
    expect(run.stdout).toBe('{"partial":')
    expect(run.stderr).toMatch(/timed out/)
    expect(run.stderr).toContain('the body broke off after 11 bytes, so stdout holds only part of it')
    expect(apiRequests(world.fp)).toHaveLength(1)
  })

  it('exits 5 on a truncated body, saying that the part written is not all of it', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const before = await snapshot(world)
    world.fp.injectApiFault('truncate', Infinity)
    const run = await world.cli(['call', 'acme', '/things', '-d', '{}'])
    expectExit(run, 5)
    expect(run.stdout).toBe('{"partial":')
    expect(run.stderr).toMatch(/127\.0\.0\.1:\d+/)
    expect(run.stderr).toContain('so stdout holds only part of it')
    expect(apiRequests(world.fp)).toHaveLength(1)
    expect(await snapshot(world)).toEqual(before)
  })

  it('exits 5 when the connection of a POST is reset, sending it once', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    world.fp.injectApiFault('reset', Infinity)
    const run = await world.cli(['call', 'acme', '/things', '-d', '{"charge":1}'])
    expectExit(run, 5)
    expect(run.stdout).toBe('')
    expect(apiRequests(world.fp)).toHaveLength(1)
  })

  it('passes a non-JSON 200 body through unchanged', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    world.fp.injectApiFault({ status: 200, body: '<html>not json</html>', headers: { 'content-type': 'text/html' } })
    const run = await world.cli(['call', 'acme', '/things'])
    expectExit(run, 0)
    expect(run.stdout).toBe('<html>not json</html>')
  })
})

describe('refresh: faults at the token endpoint', SUITE, () => {
  it('retries a 503 and stores the rotated token', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const [rt1] = world.fp.issuedRefreshTokens()
    world.fp.injectTokenFault({ status: 503, headers: { 'retry-after': '0' }, body: '' })
    const run = await world.cli(['refresh', 'acme', '--verbose'])
    expectExit(run, 0)
    expect(run.stderr).toContain('* retrying in 0 ms (HTTP 503)')
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token', 'refresh_token'])
    const rt2 = last(world.fp.issuedRefreshTokens())
    expect(world.fp.isTokenActive(rt1!)).toBe(false)
    expect(world.fp.isTokenActive(rt2)).toBe(true)
    const token = await world.cli(['token', 'acme'])
    expect(token.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
    // The stored refresh token is the rotated one: the next refresh spends it and succeeds.
    expectExit(await world.cli(['refresh', 'acme']), 0)
  })

  it.for([
    ['a 502', { status: 502, body: '<html>bad gateway</html>', headers: { 'content-type': 'text/html' } }],
    ['a reset', 'reset'],
    ['a 429 asking for longer than the refresh budget', { status: 429, headers: { 'retry-after': '60' }, body: '' }],
  ] as const)('does not retry %s, and keeps the old refresh token usable', async ([, fault], { makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const before = await snapshot(world)
    const [rt1] = world.fp.issuedRefreshTokens()
    world.fp.injectTokenFault(fault)
    const run = await world.cli(['refresh', 'acme'])
    expect(run.exitCode).not.toBe(0)
    expect(run.stdout).toBe('')
    expect(run.stderr).not.toContain('<html>')
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
    expect(await snapshot(world)).toEqual(before)
    expect(world.fp.isTokenActive(rt1!)).toBe(true)
    expectExit(await world.cli(['refresh', 'acme']), 0)
  })

  it('a 500 whose body says invalid_grant is the server failing, not a dead refresh token: exit 5, still refreshable, and it works once the server recovers', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const before = await snapshot(world)
    const [rt1] = world.fp.issuedRefreshTokens()
    world.fp.injectTokenFault({ status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"invalid_grant","error_description":"db down"}' })
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 5)
    expect(run.stderr).toContain('HTTP 500')
    expect(run.stderr).not.toContain('oauth-cli login acme')
    expect(await snapshot(world)).toEqual(before)
    expect((await statusJson(world))[0]!.refreshable).toBe(true)
    expectExit(await world.cli(['refresh', 'acme']), 0)
    const refreshes = tokenRequests(world.fp).filter((r) => r.params.get('grant_type') === 'refresh_token')
    expect(refreshes.map((r) => r.params.get('refresh_token'))).toEqual([rt1, rt1])
  })

  it('fails on a non-JSON 200 without touching what is stored; the old refresh token still works', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const before = await snapshot(world)
    const [rt1] = world.fp.issuedRefreshTokens()
    world.fp.injectTokenFault({ status: 200, body: '<html>login page</html>', headers: { 'content-type': 'text/html' } })
    const run = await world.cli(['refresh', 'acme'])
    expect(run.exitCode).not.toBe(0)
    expect(run.stdout).toBe('')
    expect(run.stderr).not.toContain('login page')
    expect(await snapshot(world)).toEqual(before)
    const again = await world.cli(['refresh', 'acme'])
    expectExit(again, 0)
    const refreshes = tokenRequests(world.fp).filter((r) => r.params.get('grant_type') === 'refresh_token')
    expect(refreshes.map((r) => r.params.get('refresh_token'))).toEqual([rt1, rt1])
    expect(world.fp.isTokenActive(last(world.fp.issuedRefreshTokens()))).toBe(true)
  })
})

describe('login: the code exchange is never retried', SUITE, () => {
  it('sends the single-use code once when the token endpoint answers 503, and stores nothing', async ({ makeWorld }) => {
    const world = await makeWorld()
    world.fp.injectTokenFault({ status: 503, headers: { 'retry-after': '0' }, body: '' })
    const run = await world.cli(['login', 'acme'])
    expect(run.exitCode).not.toBe(0)
    expect(run.stdout).toBe('')
    expect(grantTypes(world.fp)).toEqual(['authorization_code'])
    expect(await statusJson(world)).toEqual([])
  })
})
