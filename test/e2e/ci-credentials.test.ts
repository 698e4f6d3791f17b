/**
 * Logging in on a server or in CI: export → import in a fresh HOME, the
 * client credentials grant, credentials from the environment, `token --min-ttl`
 * and default profiles, all against the fake provider through the real binary.
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { runCli } from '../support/run-cli'
import { makeTempHome } from '../support/temp-home'
import {
  acmeEntry, apiRequests, expectExit, grantTypes, it, last, loginAcme, parseStdout, scopesOf, statusJson, SUITE, tokenRequests,
  type CredentialSummary,
} from './world'

type StatusRow = CredentialSummary & { default: boolean }

/** Every file under `dir` (recursively); none when it does not exist. */
function filesUnder(dir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names.flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

describe('export and import', SUITE, () => {
  it('moves a credential to a fresh HOME where call works and status lists it', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const exported = await world.cli(['export', 'acme'])
    expectExit(exported, 0)
    expect(exported.stdout).toMatch(/^oauth-cli-bundle:v1:[A-Za-z0-9_-]+\n$/)
    expect(exported.stderr).toMatch(/CI secret store/)
    expect(exported.stderr).toMatch(/no rotation seen yet/i)
    for (const secret of [...world.fp.issuedAccessTokens(), ...world.fp.issuedRefreshTokens(), world.fp.clientSecret]) {
      expect(exported.stderr).not.toContain(secret)
    }

    // The CI machine: another HOME, the provider's config, and no client secret in its environment.
    const ci = makeTempHome()
    try {
      ci.writeConfig({ providers: { acme: acmeEntry(world.fp) } })
      const imported = await runCli(['import', '--json'], { env: ci.env, stdin: `${exported.stdout}` })
      expectExit(imported, 0)
      expect(parseStdout<CredentialSummary>(imported)).toMatchObject({ provider: 'acme', profile: 'default', store: 'file' })
      expect(imported.stderr).toMatch(/Imported acme \(profile default\)/)
      const call = await runCli(['call', 'acme', '/me'], { env: ci.env })
      expectExit(call, 0)
      expect(last(apiRequests(world.fp, '/api/me')).headers.authorization).toBe(`Bearer ${last(world.fp.issuedAccessTokens())}`)
      const status = await runCli(['status', '--json'], { env: ci.env })
      expectExit(status, 0)
      expect(parseStdout<StatusRow[]>(status)).toEqual([
        expect.objectContaining({ provider: 'acme', profile: 'default', refreshable: true, store: 'file', default: true }),
      ])
      // The imported refresh token works there too (the client secret came in the bundle).
      expectExit(await runCli(['refresh', 'acme'], { env: ci.env }), 0)
      expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
    } finally {
      ci.cleanup()
    }
  })

  it('imports under another profile with --profile', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const bundle = (await world.cli(['export', 'acme'])).stdout
    expectExit(await world.cli(['import', '--profile', 'ci'], { stdin: bundle }), 0)
    const rows = await statusJson(world)
    expect(rows.map((r) => r.profile)).toEqual(['ci', 'default'])
    const token = await world.cli(['token', 'acme', '--profile', 'ci'])
    expect(token.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
  })

  it('says the bundle goes stale once the provider has been seen rotating refresh tokens', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    expectExit(await world.cli(['refresh', 'acme']), 0)
    const run = await world.cli(['export', 'acme'])
    expectExit(run, 0)
    expect(run.stderr).toMatch(/acme rotates refresh tokens: the bundle stops working after its first refresh/)
    expect(run.stderr).toMatch(/login --with-token/)
  })

  it('refuses a bad bundle with exit 2, without echoing it, and stores nothing', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['import'], { stdin: 'oauth-cli-bundle:v1:not-a-real-bundle-value\n' })
    expectExit(run, 2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/stdin is not a credential bundle/)
    expect(run.stderr).not.toContain('not-a-real-bundle-value')
    expect(await statusJson(world)).toEqual([])
  })

  it('exits 3 with the login hint when there is nothing to export', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['export', 'acme'])
    expectExit(run, 3)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('oauth-cli login acme')
  })
})

describe('login --client-credentials', SUITE, () => {
  it('stores client credentials tokens and fetches new ones with the grant when they expire', async ({ makeWorld }) => {
    // A token issued already expired: the next `token` must fetch again.
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    const login = await world.cli(['login', 'acme', '--client-credentials', '--json'])
    expectExit(login, 0)
    expect(parseStdout<CredentialSummary>(login)).toMatchObject({ provider: 'acme', profile: 'default', token_type: 'Bearer' })
    expect(world.fp.requests.some((r) => r.path === '/authorize')).toBe(false)
    expect(grantTypes(world.fp)).toEqual(['client_credentials'])
    expect(tokenRequests(world.fp)[0]!.headers.authorization).toMatch(/^Basic /)
    const first = last(world.fp.issuedAccessTokens())

    const token = await world.cli(['token', 'acme'])
    expectExit(token, 0)
    expect(grantTypes(world.fp)).toEqual(['client_credentials', 'client_credentials'])
    expect(token.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
    expect(token.stdout).not.toContain(first)
    expect(world.fp.issuedRefreshTokens()).toEqual([])
  })

  it('keeps the scope it asked for when the answer leaves scope out (RFC 6749 §5.1): status shows it, and the next fetch asks for it again', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 0, omitScope: true } })
    expectExit(await world.cli(['login', 'acme', '--client-credentials', '--scope', 'jobs:read']), 0)
    const [row] = await statusJson(world)
    expect(scopesOf(row!)).toEqual(['jobs:read'])
    const token = await world.cli(['token', 'acme'])
    expectExit(token, 0)
    expect(token.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
    expect(tokenRequests(world.fp).map((r) => [r.params.get('grant_type'), r.params.get('scope')])).toEqual([
      ['client_credentials', 'jobs:read'],
      ['client_credentials', 'jobs:read'],
    ])
    const [after] = await statusJson(world)
    expect(scopesOf(after!)).toEqual(['jobs:read'])
  })

  it('uses a fresh client credentials token for call without any token request', async ({ makeWorld }) => {
    const world = await makeWorld()
    expectExit(await world.cli(['login', 'acme', '--client-credentials']), 0)
    const call = await world.cli(['call', 'acme', '/jobs'])
    expectExit(call, 0)
    expect(grantTypes(world.fp)).toEqual(['client_credentials'])
    expect(last(apiRequests(world.fp, '/api/jobs')).headers.authorization).toBe(`Bearer ${last(world.fp.issuedAccessTokens())}`)
  })

  it('cannot be combined with another login mode', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['login', 'acme', '--client-credentials', '--device'])
    expectExit(run, 2)
    expect(run.stderr).toMatch(/--device and --client-credentials cannot be used together/)
    expect(world.fp.requests).toHaveLength(0)
  })

  it('refuses with exit 2 when no client secret is set', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['login', 'acme', '--client-credentials'], { env: { ACME_CLIENT_SECRET: '' } })
    expectExit(run, 2)
    expect(run.stderr).toMatch(/needs a client secret/)
    expect(run.stderr).toMatch(/ACME_CLIENT_SECRET/)
    expect(world.fp.requests).toHaveLength(0)
  })
})

describe('credentials from the environment', SUITE, () => {
  it('sends OAUTH_CLI_ACME_TOKEN as Bearer and writes nothing anywhere', async ({ makeWorld }) => {
    const world = await makeWorld()
    world.fp.addStaticCredential('bearer', 'env-token-1')
    const run = await world.cli(['call', 'acme', '/x'], { env: { OAUTH_CLI_ACME_TOKEN: 'env-token-1' } })
    expectExit(run, 0)
    expect(last(apiRequests(world.fp, '/api/x')).headers.authorization).toBe('Bearer env-token-1')
    expect(tokenRequests(world.fp)).toHaveLength(0)
    expect(run.stderr).not.toContain('env-token-1')
    expect(filesUnder(world.env.XDG_DATA_HOME!)).toEqual([])
    expect(await statusJson(world)).toEqual([])
  })

  it('prints the environment token with token, without a store', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['token', 'acme'], { env: { OAUTH_CLI_ACME_TOKEN: 'env-token-2' } })
    expectExit(run, 0)
    expect(run.stdout).toBe('env-token-2\n')
    expect(filesUnder(world.env.XDG_DATA_HOME!)).toEqual([])
  })

  it('is used instead of what is stored', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    world.fp.addStaticCredential('bearer', 'env-token-3')
    expectExit(await world.cli(['call', 'acme', '/x'], { env: { OAUTH_CLI_ACME_TOKEN: 'env-token-3' } }), 0)
    expect(last(apiRequests(world.fp, '/api/x')).headers.authorization).toBe('Bearer env-token-3')
  })

  it('sends OAUTH_CLI_TIDIO_TOKEN as the two Tidio headers', async ({ makeWorld }) => {
    const world = await makeWorld({ providers: (fp) => ({ tidio: { api_base_url: `${fp.url}/api` } }) })
    world.fp.addStaticCredential('header_pair', 'ci:cs')
    const run = await world.cli(['call', 'tidio', '/operators'], { env: { OAUTH_CLI_TIDIO_TOKEN: 'ci:cs' } })
    expectExit(run, 0)
    const seen = last(apiRequests(world.fp, '/api/operators'))
    expect(seen.headers['x-tidio-openapi-client-id']).toBe('ci')
    expect(seen.headers['x-tidio-openapi-client-secret']).toBe('cs')
    expect(seen.headers.accept).toBe('application/json; version=1')
    expect(filesUnder(world.env.XDG_DATA_HOME!)).toEqual([])
  })

  it('exits 4 on a 401 without refreshing, naming the variable in the hint', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['call', 'acme', '/x'], { env: { OAUTH_CLI_ACME_TOKEN: 'revoked-token' } })
    expectExit(run, 4)
    expect(JSON.parse(run.stdout)).toEqual({ error: 'invalid_token' })
    expect(run.stderr).toMatch(/OAUTH_CLI_ACME_TOKEN/)
    expect(run.stderr).not.toContain('revoked-token')
    expect(tokenRequests(world.fp)).toHaveLength(0)
  })
})

describe('token --min-ttl', SUITE, () => {
  it('exits 1 naming the provider\'s lifetime when even a fresh token lives less than asked', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli(['token', 'acme', '--min-ttl', '7200'])
    expectExit(run, 1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/acme issues access tokens that live 3600 s, less than the 7200 s asked with --min-ttl/)
    // It did try: one refresh, whose rotated refresh token was stored and still works.
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
    expectExit(await world.cli(['refresh', 'acme']), 0)
  })

  it('prints the stored token without a request when it lives long enough', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const before = world.fp.requests.length
    const run = await world.cli(['token', 'acme', '--min-ttl', '1800'])
    expectExit(run, 0)
    expect(run.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
    expect(world.fp.requests.length).toBe(before)
  })
})

describe('default profiles', SUITE, () => {
  it('profile use makes token and status use that profile until reset', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    await loginAcme(world, ['--profile', 'work'])
    const workToken = last(world.fp.issuedAccessTokens())
    const use = await world.cli(['profile', 'use', 'acme', 'work'])
    expectExit(use, 0)
    expect(use.stdout).toBe('')
    expect(statSync(join(world.env.XDG_CONFIG_HOME!, 'oauth-cli', 'profiles.json')).mode & 0o777).toBe(0o600)

    const token = await world.cli(['token', 'acme'])
    expectExit(token, 0)
    expect(token.stdout).toBe(`${workToken}\n`)
    const rows = parseStdout<StatusRow[]>(await world.cli(['status', '--json']))
    expect(rows.map((r) => [r.profile, r.default])).toEqual([['default', false], ['work', true]])
    const human = await world.cli(['status'])
    expect(human.stdout).toMatch(/^acme\s+work \*\s/m)

    const list = await world.cli(['profile', 'list', '--json'])
    expect(parseStdout<Array<Record<string, string>>>(list)).toContainEqual({
      provider: 'acme', default_profile: 'work', source: 'profiles_file',
    })
    expectExit(await world.cli(['profile', 'use', 'acme', 'default']), 0)
    const back = await world.cli(['token', 'acme'])
    expect(back.stdout).not.toBe(`${workToken}\n`)
    expect(world.fp.issuedAccessTokens()).toContain(back.stdout.trim())
  })

  it('lets --profile and OAUTH_CLI_PROFILE win over the default profile', async ({ makeWorld }) => {
    const world = await makeWorld()
    expectExit(await world.cli(['profile', 'use', 'acme', 'work']), 0)
    const flag = await world.cli(['token', 'acme', '--profile', 'other'])
    expectExit(flag, 3)
    expect(flag.stderr).toMatch(/--profile other/)
    const env = await world.cli(['token', 'acme'], { env: { OAUTH_CLI_PROFILE: 'ci' } })
    expectExit(env, 3)
    expect(env.stderr).toMatch(/--profile ci/)
  })
})
