import { describe, expect } from 'vitest'
import { it, SUITE, expectExit, grantTypes, last, loginAcme, statusJson, tokenRequests } from './world'

describe('token', SUITE, () => {
  it('prints exactly the stored access token and a newline, without a request when it is fresh', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const before = world.fp.requests.length
    const run = await world.cli(['token', 'acme'])
    expectExit(run, 0)
    expect(run.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
    expect(run.stderr).not.toContain(last(world.fp.issuedAccessTokens()))
    expect(world.fp.requests.length).toBe(before)
  })

  it('refreshes first when the token expires within the skew, and prints the new one', async ({ makeWorld }) => {
    // Issued already expired (expires_in 0): inside any skew, and so is every refreshed one.
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    await loginAcme(world)
    const first = last(world.fp.issuedAccessTokens())
    const run = await world.cli(['token', 'acme'])
    expectExit(run, 0)
    const fresh = last(world.fp.issuedAccessTokens())
    expect(fresh).not.toBe(first)
    expect(run.stdout).toBe(`${fresh}\n`)
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
    // The rotated refresh token was stored: the next refresh spends it and succeeds.
    const again = await world.cli(['token', 'acme'])
    expectExit(again, 0)
    expect(again.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token', 'refresh_token'])
  })

  it('never spends one rotated refresh token twice when several processes refresh at once', async ({ makeWorld }) => {
    // Tokens issued already expired: every process wants to refresh. Reuse would revoke the grant.
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    await loginAcme(world)
    const runs = await Promise.all([1, 2, 3, 4].map(() => world.cli(['token', 'acme'])))
    for (const run of runs) expectExit(run, 0)
    const spent = tokenRequests(world.fp).map((r) => r.params.get('refresh_token')).filter((t) => t !== null)
    expect(spent.length).toBeGreaterThanOrEqual(1)
    expect(new Set(spent).size).toBe(spent.length)
    expect(world.fp.isTokenActive(last(world.fp.issuedRefreshTokens()))).toBe(true)
    for (const run of runs) expect(world.fp.issuedAccessTokens()).toContain(run.stdout.trim())
  })

  it('at a rotating provider, an unusable refresh answer with no refresh token in it leaves no mark: the next refresh sends the stored one and works', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    // One refresh first, so the tool has seen this provider rotate refresh tokens.
    expectExit(await world.cli(['refresh', 'acme']), 0)
    // A token answer whose access token is unusable, and which issued no refresh token in place of the one sent (RFC 6749 §6).
    world.fp.injectTokenFault({ status: 200, body: JSON.stringify({ access_token: 'AT1\r\nX-Injected: 1', token_type: 'Bearer', expires_in: 3600 }), headers: { 'content-type': 'application/json' } })
    const failed = await world.cli(['refresh', 'acme'])
    expectExit(failed, 1)
    expect(failed.stderr).toMatch(/access_token with characters a token may not hold/)
    expect(failed.stderr).not.toMatch(/exits 3|will not be sent again|Injected|AT1/)
    expect((await statusJson(world))[0]).toMatchObject({ refreshable: true })
    const next = await world.cli(['refresh', 'acme'])
    expectExit(next, 0)
    expect(grantTypes(world.fp).filter((g) => g === 'refresh_token')).toHaveLength(3)
    const token = await world.cli(['token', 'acme'])
    expectExit(token, 0)
    expect(token.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
  })

  it('a refresh answer with an empty refresh_token keeps the stored one, saying nothing about its characters', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { rotateRefreshTokens: false } })
    await loginAcme(world)
    const [kept] = world.fp.issuedRefreshTokens()
    world.fp.injectTokenFault({ status: 200, body: JSON.stringify({ access_token: 'AT-new', token_type: 'Bearer', expires_in: 3600, refresh_token: '' }), headers: { 'content-type': 'application/json' } })
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 0)
    expect(run.stderr).not.toMatch(/characters/)
    const again = await world.cli(['refresh', 'acme'])
    expectExit(again, 0)
    expect(last(tokenRequests(world.fp)).params.get('refresh_token')).toBe(kept)
  })

  it('a redirect from the token endpoint is said as one (never followed), not as a body that is not JSON', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    world.fp.injectTokenFault({ status: 301, body: '', headers: { location: 'https://elsewhere.example/token' } })
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 1)
    expect(run.stderr).toMatch(/answered with a redirect \(HTTP 301\), which is not followed/)
    expect(run.stderr).not.toMatch(/not JSON/)
  })

  it('exits 3 with the login hint when nothing is stored', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['token', 'acme'])
    expectExit(run, 3)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('oauth-cli login acme')
    expect(world.fp.requests).toHaveLength(0)
  })

  it('names the profile in the login hint for a missing non-default profile', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli(['token', 'acme', '--profile', 'work'])
    expectExit(run, 3)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/oauth-cli login acme.*--profile work/)
  })
})

describe('refresh', SUITE, () => {
  it('stores the rotated refresh token: the old one is dead at the provider and the next refresh works', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const [rt1] = world.fp.issuedRefreshTokens()
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 0)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/acme/)
    const rt2 = last(world.fp.issuedRefreshTokens())
    expect(rt2).not.toBe(rt1)
    expect(world.fp.isTokenActive(rt1!)).toBe(false)
    expect(world.fp.isTokenActive(rt2)).toBe(true)
    const again = await world.cli(['refresh', 'acme'])
    expectExit(again, 0)
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token', 'refresh_token'])
    expect(world.fp.isTokenActive(last(world.fp.issuedRefreshTokens()))).toBe(true)
    const token = await world.cli(['token', 'acme'])
    expect(token.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
  })

  it('keeps the old refresh token when the provider does not rotate it', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { rotateRefreshTokens: false } })
    await loginAcme(world)
    expectExit(await world.cli(['refresh', 'acme']), 0)
    expectExit(await world.cli(['refresh', 'acme']), 0)
    expect(world.fp.issuedRefreshTokens()).toHaveLength(1)
    const [, second, third] = world.fp.requests.filter((r) => r.path === '/token').map((r) => new URLSearchParams(r.body))
    expect(second!.get('refresh_token')).toBe(world.fp.issuedRefreshTokens()[0])
    expect(third!.get('refresh_token')).toBe(world.fp.issuedRefreshTokens()[0])
  })

  it('prints the new summary with --json', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli(['refresh', 'acme', '--json'])
    expectExit(run, 0)
    expect(JSON.parse(run.stdout)).toMatchObject({ provider: 'acme', profile: 'default', refreshable: true, store: 'file' })
    expect(run.stdout).not.toContain(last(world.fp.issuedAccessTokens()))
  })

  it('exits 3 with the login hint when the provider rejects the refresh token (invalid_grant)', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    world.fp.revokeAllGrants()
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 3)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('oauth-cli login acme')
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
  })

  it('exits 5 when the token endpoint is unreachable and leaves the stored credential as it was', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const before = await statusJson(world)
    await world.fp.close()
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 5)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/acme/)
    expect(await statusJson(world)).toEqual(before)
  })

  it('exits 5 when the connection is reset mid-request, and the stored credential still works afterwards', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const before = await statusJson(world)
    world.fp.injectTokenFault('reset')
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 5)
    expect(await statusJson(world)).toEqual(before)
    expectExit(await world.cli(['refresh', 'acme']), 0)
  })

  it.for([
    ['a gateway\'s 502 page', { status: 502, body: '<html>bad gateway</html>', headers: { 'content-type': 'text/html' } }],
    ['a reset connection', 'reset'],
  ] as const)('at a rotating provider, %s says the refresh token will not be sent again, and the next refresh sends nothing and exits 3', async ([, fault], { makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    // One refresh first, so the tool has seen this provider rotate refresh tokens.
    expectExit(await world.cli(['refresh', 'acme']), 0)
    world.fp.injectTokenFault(fault)
    const failed = await world.cli(['refresh', 'acme'])
    expectExit(failed, 5)
    expect(failed.stderr).not.toMatch(/try again/)
    expect(failed.stderr).toMatch(/will not be sent again/)
    expect(failed.stderr).toContain('the next command exits 3')
    expect(failed.stderr).toContain('run: oauth-cli login acme')
    const sent = tokenRequests(world.fp).length
    const next = await world.cli(['refresh', 'acme'])
    expectExit(next, 3)
    expect(next.stderr).toContain('run: oauth-cli login acme')
    // The runner that sent it may be this very one, which got an answer it could not use: no death is claimed.
    expect(next.stderr).toMatch(/never stored an answer \(it stopped, gave up at its deadline, or got an answer it could not use\)/)
    expect(tokenRequests(world.fp)).toHaveLength(sent)
    expect((await statusJson(world))[0]).toMatchObject({ refreshable: false })
    // A login clears it.
    await loginAcme(world)
    expectExit(await world.cli(['refresh', 'acme']), 0)
    expect((await statusJson(world))[0]).toMatchObject({ refreshable: true })
  })

  it('at a rotating provider, an unusable refresh answer with no refresh token in it leaves no mark: the next refresh sends the stored one and works', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    // One refresh first, so the tool has seen this provider rotate refresh tokens.
    expectExit(await world.cli(['refresh', 'acme']), 0)
    // A token answer whose access token is unusable, and which issued no refresh token in place of the one sent (RFC 6749 §6).
    world.fp.injectTokenFault({ status: 200, body: JSON.stringify({ access_token: 'AT1\r\nX-Injected: 1', token_type: 'Bearer', expires_in: 3600 }), headers: { 'content-type': 'application/json' } })
    const failed = await world.cli(['refresh', 'acme'])
    expectExit(failed, 1)
    expect(failed.stderr).toMatch(/access_token with characters a token may not hold/)
    expect(failed.stderr).not.toMatch(/exits 3|will not be sent again|Injected|AT1/)
    expect((await statusJson(world))[0]).toMatchObject({ refreshable: true })
    const next = await world.cli(['refresh', 'acme'])
    expectExit(next, 0)
    expect(grantTypes(world.fp).filter((g) => g === 'refresh_token')).toHaveLength(3)
    const token = await world.cli(['token', 'acme'])
    expectExit(token, 0)
    expect(token.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
  })

  it('a refresh answer with an empty refresh_token keeps the stored one, saying nothing about its characters', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { rotateRefreshTokens: false } })
    await loginAcme(world)
    const [kept] = world.fp.issuedRefreshTokens()
    world.fp.injectTokenFault({ status: 200, body: JSON.stringify({ access_token: 'AT-new', token_type: 'Bearer', expires_in: 3600, refresh_token: '' }), headers: { 'content-type': 'application/json' } })
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 0)
    expect(run.stderr).not.toMatch(/characters/)
    const again = await world.cli(['refresh', 'acme'])
    expectExit(again, 0)
    expect(last(tokenRequests(world.fp)).params.get('refresh_token')).toBe(kept)
  })

  it('a redirect from the token endpoint is said as one (never followed), not as a body that is not JSON', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    world.fp.injectTokenFault({ status: 301, body: '', headers: { location: 'https://elsewhere.example/token' } })
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 1)
    expect(run.stderr).toMatch(/answered with a redirect \(HTTP 301\), which is not followed/)
    expect(run.stderr).not.toMatch(/not JSON/)
  })

  it('exits 3 with the login hint when nothing is stored', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 3)
    expect(run.stderr).toContain('oauth-cli login acme')
  })
})
