/**
 * `--verbose` traces HTTP on stderr with every secret redacted: no access or
 * refresh token, client secret, authorization code or PKCE verifier that the
 * provider ever saw may appear in any stderr of a whole session.
 */
import { describe, expect } from 'vitest'
import type { FakeProvider } from '../support/fake-provider'
import { it, SUITE, expectExit, tokenRequests, type World } from './world'

function secretsSeen(fp: FakeProvider): string[] {
  const fromRequests = tokenRequests(fp).flatMap((r) =>
    ['code', 'code_verifier', 'refresh_token', 'client_secret'].map((k) => r.params.get(k) ?? ''),
  )
  const basic = tokenRequests(fp).map((r) => /^Basic (\S+)$/.exec(r.headers.authorization ?? '')?.[1] ?? '')
  return [
    ...new Set([
      ...fp.issuedAccessTokens(), ...fp.issuedRefreshTokens(), ...fp.issuedCodes(), fp.clientSecret, ...fromRequests, ...basic,
    ]),
  ].filter((s) => s.length >= 8)
}

async function session(world: World): Promise<Record<string, string>> {
  const steps: Array<[string, string[]]> = [
    ['login', ['login', 'acme', '--verbose']],
    ['token', ['token', 'acme', '--verbose']],
    ['call', ['call', 'acme', '/things', '-d', '{"x":1}', '--verbose']],
    ['refresh', ['refresh', 'acme', '--verbose']],
    ['logout', ['logout', 'acme', '--verbose']],
  ]
  const stderr: Record<string, string> = {}
  for (const [name, args] of steps) {
    const run = await world.cli(args)
    expectExit(run, 0)
    stderr[name] = run.stderr
    // Refreshed tokens live long; the API then rejects them, so `call` refreshes on its 401 too.
    if (name === 'login') world.fp.setAccessTokenTtl(3600)
    if (name === 'token') world.fp.expireAllAccessTokens()
  }
  return stderr
}

describe('secrets in --verbose output', SUITE, () => {
  it('never prints a token, code, verifier or client secret on stderr through a whole session', async ({ makeWorld }) => {
    // A login token that is already expired makes `token` refresh, and `call` refreshes on a 401: every grant is traced.
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    const stderr = await session(world)
    // The trace ran: the token endpoint and the API show up in it.
    expect(stderr.login).toMatch(/\/token\b/)
    expect(stderr.call).toMatch(/\/api\/things\b/)
    const secrets = secretsSeen(world.fp)
    expect(secrets.length).toBeGreaterThanOrEqual(6)
    for (const [step, text] of Object.entries(stderr)) {
      for (const secret of secrets) {
        expect(text.includes(secret), `${step} stderr contains a secret`).toBe(false)
      }
    }
  })

  it('redacts the static credential of a --with-token login in a verbose call', async ({ makeWorld }) => {
    const world = await makeWorld()
    world.fp.addStaticCredential('bearer', 'static-secret-token-1')
    const login = await world.cli(['login', 'acme', '--with-token', '--verbose'], { stdin: 'static-secret-token-1\n' })
    expectExit(login, 0)
    const run = await world.cli(['call', 'acme', '/things', '--verbose'])
    expectExit(run, 0)
    expect(run.stderr).toMatch(/\/api\/things\b/)
    expect(login.stderr + run.stderr).not.toContain('static-secret-token-1')
  })
})
