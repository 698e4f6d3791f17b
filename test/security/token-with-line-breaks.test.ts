/**
 * Attack (bug hunt, 15:25): a token endpoint answering a refresh with tokens
 * holding CR LF and NUL. Stored as they came, `token` printed two lines (a
 * header injected into a script's curl) and `call` failed as a network error.
 * RFC 6749 A.12, A.17: tokens are printable ASCII; such an answer is the
 * provider's invalid response, and nothing of it is stored or printed.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { apiRequests, expectExit, it, loginAcme, refreshAtProvider, statusJson, tokenRequests, type World } from '../e2e/world'

const HOSTILE = JSON.stringify({ access_token: 'AT1\r\nX-Injected: 1', refresh_token: 'RT\u0000x', token_type: 'Bearer', expires_in: 3600 })

describe('a refresh answered with tokens holding line breaks or NUL', { timeout: 30_000 }, () => {
  it('token and call exit 1 naming the provider\'s invalid answer, print no token, store nothing of it; the old refresh token still works', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    await loginAcme(world)
    const before = await statusJson(world)
    const [loginRefreshToken] = world.fp.issuedRefreshTokens()
    world.fp.injectTokenFault({ status: 200, headers: { 'content-type': 'application/json' }, body: HOSTILE }, 2)
    const token = await world.cli(['token', 'acme'])
    expectExit(token, 1)
    expect(token.stdout).toBe('')
    expect(token.stderr).toMatch(/access_token with characters a token may not hold/)
    expect(token.stderr).not.toMatch(/Injected|AT1|RT\u0000/)
    const call = await world.cli(['call', 'acme', '/me'])
    expectExit(call, 1)
    expect(call.stderr).not.toMatch(/Invalid character in header|Injected/)
    expect(apiRequests(world.fp)).toHaveLength(0)
    expect(await statusJson(world)).toEqual(before)
    world.fp.setAccessTokenTtl(3600)
    const after = await world.cli(['token', 'acme'])
    expectExit(after, 0)
    expect(after.stdout).toBe(`${world.fp.issuedAccessTokens().at(-1)}\n`)
    const spent = tokenRequests(world.fp).filter((r) => r.params.get('grant_type') === 'refresh_token').map((r) => r.params.get('refresh_token'))
    expect(spent).toEqual([loginRefreshToken, loginRefreshToken, loginRefreshToken])
  })

  it('one such access token stored by an older version beside a good refresh token is read as expired: token and call refresh with that refresh token, and it is never printed or sent', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const file = join(world.env.XDG_DATA_HOME!, 'oauth-cli', 'credentials', 'acme@default.json')
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    writeFileSync(file, JSON.stringify({ ...stored, access_token: 'AT1\r\nX-Injected: 1' }), { mode: 0o600 })
    const status = await statusJson(world)
    expect(status).toEqual([expect.objectContaining({ provider: 'acme', refreshable: true, expires_at: '1970-01-01T00:00:00.000Z' })])
    const token = await world.cli(['token', 'acme'])
    expectExit(token, 0)
    expect(token.stdout).toBe(`${world.fp.issuedAccessTokens().at(-1)}\n`)
    expect(tokenRequests(world.fp).at(-1)?.params.get('refresh_token')).toBe(stored.refresh_token)
    const call = await world.cli(['call', 'acme', '/me'])
    expectExit(call, 0)
    for (const run of [token, call]) expect(run.stdout + run.stderr).not.toMatch(/Injected|AT1/)
    expect(world.fp.requests.map((r) => JSON.stringify(r))).not.toContainEqual(expect.stringMatching(/Injected|AT1/))
    expect(readFileSync(file, 'utf8')).not.toMatch(/Injected|AT1/)
  })

  it('one such token stored by an older version with nothing to renew it is refused as a damaged item: token and call exit 1 printing nothing, with the logout --local fix', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const file = join(world.env.XDG_DATA_HOME!, 'oauth-cli', 'credentials', 'acme@default.json')
    const { refresh_token: _spent, ...stored } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    writeFileSync(file, JSON.stringify({ ...stored, access_token: 'AT1\r\nX-Injected: 1' }), { mode: 0o600 })
    for (const args of [['token', 'acme'], ['call', 'acme', '/me']]) {
      const run = await world.cli(args)
      expectExit(run, 1)
      expect(run.stdout).toBe('')
      expect(run.stderr).toContain('"access_token" is not a token')
      expect(run.stderr).toContain('oauth-cli logout acme --local')
      expect(run.stderr).not.toMatch(/Injected|AT1/)
    }
    expect(apiRequests(world.fp)).toHaveLength(0)
  })
})

/**
 * The same answer to a login's code exchange (review of session five): an access token no header may hold beside a
 * good refresh token. The code is spent and the refresh token is a grant the provider issued, so it is kept (never
 * the access token), replacing the old credentials only because it is a good grant; the next `token` refreshes with it.
 */
describe('a login answered with an access token holding a line break', { timeout: 30_000 }, () => {
  const credentialFile = (world: World): string => join(world.env.XDG_DATA_HOME!, 'oauth-cli', 'credentials', 'acme@default.json')

  it('beside a good refresh token: exits 1 saying that refresh token was stored (never the access token), and the next token refreshes with it', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    // A refresh token this provider really issued, for the login's answer to carry.
    const issued = await refreshAtProvider(world, world.fp.issuedRefreshTokens()[0]!)
    const answer = { access_token: 'AT1\r\nX-Injected: 1', refresh_token: issued.refresh_token, token_type: 'Bearer', expires_in: 3600 }
    world.fp.injectTokenFault({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer) })
    const login = await world.cli(['login', 'acme', '--force'])
    expectExit(login, 1)
    expect(login.stdout).toBe('')
    expect(login.stderr).toMatch(/access_token with characters a token may not hold/)
    expect(login.stderr).toContain('the new login replaced the stored credentials')
    expect(login.stderr).toMatch(/its refresh token was stored for acme \(profile default\), without that access token/)
    expect(login.stderr).toContain('oauth-cli token acme')
    expect(login.stderr).not.toMatch(/Injected|AT1/)
    expect(login.stderr).not.toContain(issued.refresh_token)
    const stored = JSON.parse(readFileSync(credentialFile(world), 'utf8')) as Record<string, unknown>
    expect(stored.refresh_token).toBe(issued.refresh_token)
    expect(JSON.stringify(stored)).not.toMatch(/Injected|AT1/)
    const token = await world.cli(['token', 'acme'])
    expectExit(token, 0)
    expect(token.stdout).toBe(`${world.fp.issuedAccessTokens().at(-1)}\n`)
    expect(tokenRequests(world.fp).at(-1)?.params.get('refresh_token')).toBe(issued.refresh_token)
  })

  it('what such a login kept logs out cleanly: its refresh token is revoked, and no empty access token is sent', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const issued = await refreshAtProvider(world, world.fp.issuedRefreshTokens()[0]!)
    const answer = { access_token: 'AT1\r\nX-Injected: 1', refresh_token: issued.refresh_token, token_type: 'Bearer' }
    world.fp.injectTokenFault({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer) })
    expectExit(await world.cli(['login', 'acme', '--force']), 1)
    const logout = await world.cli(['logout', 'acme'])
    expectExit(logout, 0)
    expect(logout.stderr).not.toMatch(/warning|invalid_request/)
    const revoked = world.fp.requests.filter((r) => r.path === '/revoke').map((r) => new URLSearchParams(r.body).get('token'))
    expect(revoked).toEqual([issued.refresh_token])
    expect(world.fp.isTokenActive(issued.refresh_token)).toBe(false)
  })

  it('without a good refresh token beside it: exits 1 and stores nothing, so the old credentials stay and still work', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const before = readFileSync(credentialFile(world), 'utf8')
    world.fp.injectTokenFault({ status: 200, headers: { 'content-type': 'application/json' }, body: HOSTILE })
    const login = await world.cli(['login', 'acme', '--force'])
    expectExit(login, 1)
    expect(login.stderr).toMatch(/access_token with characters a token may not hold/)
    expect(login.stderr).not.toMatch(/was stored|Injected|AT1/)
    expect(readFileSync(credentialFile(world), 'utf8')).toBe(before)
    expectExit(await world.cli(['call', 'acme', '/me']), 0)
  })
})
