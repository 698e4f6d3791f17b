/**
 * Bug hunt (session six, F1): a token endpoint answering 200 with a new refresh
 * token in an answer the tool refuses for another reason (token_type "DPoP", a
 * scope that is not a string, no access token). The refresh exited 1 and the
 * new refresh token was nowhere: at a rotating provider the one sent was spent,
 * so the next refresh got invalid_grant. A login lost the grant its code bought.
 * Whatever makes the answer unusable, a good refresh token in it is kept.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { expectExit, it, loginAcme, refreshAtProvider, SUITE, tokenRequests, type World } from './world'

type Answer = (refreshToken: string) => Record<string, unknown>
const REFUSED: Array<[string, Answer, RegExp]> = [
  ['token_type "DPoP"', (rt) => ({ access_token: 'AT-REFUSED', token_type: 'DPoP', refresh_token: rt, expires_in: 3600 }), /token_type "DPoP"; only Bearer is supported/],
  ['a scope that is not a string', (rt) => ({ access_token: 'AT-REFUSED', token_type: 'Bearer', refresh_token: rt, scope: 5 }), /has a scope that is not a string/],
  ['no access_token', (rt) => ({ token_type: 'Bearer', refresh_token: rt, expires_in: 3600 }), /has no access_token/],
  ['an empty access_token', (rt) => ({ access_token: '', token_type: 'Bearer', refresh_token: rt }), /has no access_token/],
]

const credentialFile = (world: World): string => join(world.env.XDG_DATA_HOME!, 'oauth-cli', 'credentials', 'acme@default.json')
const storedRefreshToken = (world: World): unknown => (JSON.parse(readFileSync(credentialFile(world), 'utf8')) as Record<string, unknown>).refresh_token

/** A world logged in to acme, and a refresh token the provider really rotated to (the login's one is spent). */
async function rotatedWorld(makeWorld: (o?: object) => Promise<World>, ttl: number): Promise<{ world: World; rotated: string }> {
  const world = await makeWorld({ provider: { accessTokenTtl: ttl } })
  await loginAcme(world)
  const { refresh_token: rotated } = await refreshAtProvider(world, world.fp.issuedRefreshTokens()[0]!)
  return { world, rotated }
}

describe('a refresh answer refused for another reason than its refresh token', SUITE, () => {
  it.for(REFUSED)('with %s: exits 1 naming it, stores the new refresh token, and the next token refreshes with that one', async ([, answer, reason], { makeWorld }) => {
    const { world, rotated } = await rotatedWorld(makeWorld, 0)
    world.fp.injectTokenFault({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer(rotated)) })
    const token = await world.cli(['token', 'acme'])
    expectExit(token, 1)
    expect(token.stdout).toBe('')
    expect(token.stderr).toMatch(reason)
    expect(token.stderr).toContain('its new refresh token was stored, so the next refresh sends that one')
    expect(token.stderr).not.toContain(rotated)
    expect(token.stderr).not.toContain('AT-REFUSED')
    expect(storedRefreshToken(world)).toBe(rotated)
    world.fp.setAccessTokenTtl(3600)
    const next = await world.cli(['token', 'acme'])
    expectExit(next, 0)
    expect(next.stdout).toBe(`${world.fp.issuedAccessTokens().at(-1)}\n`)
    expect(tokenRequests(world.fp).at(-1)?.params.get('refresh_token')).toBe(rotated)
  })

  it('through the full CLI (refresh) too: the new refresh token is stored and the next refresh sends it', async ({ makeWorld }) => {
    const { world, rotated } = await rotatedWorld(makeWorld, 3600)
    world.fp.injectTokenFault({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(REFUSED[0]![1](rotated)) })
    const refresh = await world.cli(['refresh', 'acme'])
    expectExit(refresh, 1)
    expect(refresh.stderr).toMatch(/token_type "DPoP".*its new refresh token was stored/)
    expect(storedRefreshToken(world)).toBe(rotated)
    expectExit(await world.cli(['refresh', 'acme']), 0)
    expect(tokenRequests(world.fp).at(-1)?.params.get('refresh_token')).toBe(rotated)
  })
})

describe('a login answer refused for another reason than its refresh token', SUITE, () => {
  it.for(REFUSED)('with %s: exits 1 saying its refresh token was stored, and the next token refreshes with it', async ([, answer, reason], { makeWorld }) => {
    const { world, rotated } = await rotatedWorld(makeWorld, 3600)
    world.fp.injectTokenFault({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer(rotated)) })
    const login = await world.cli(['login', 'acme', '--force'])
    expectExit(login, 1)
    expect(login.stdout).toBe('')
    expect(login.stderr).toMatch(reason)
    expect(login.stderr).toMatch(/its refresh token was stored for acme \(profile default\)/)
    expect(login.stderr).toContain('oauth-cli token acme')
    expect(login.stderr).not.toContain(rotated)
    expect(readFileSync(credentialFile(world), 'utf8')).not.toContain('AT-REFUSED')
    expect(storedRefreshToken(world)).toBe(rotated)
    const token = await world.cli(['token', 'acme'])
    expectExit(token, 0)
    expect(token.stdout).toBe(`${world.fp.issuedAccessTokens().at(-1)}\n`)
    expect(tokenRequests(world.fp).at(-1)?.params.get('refresh_token')).toBe(rotated)
  })
})
