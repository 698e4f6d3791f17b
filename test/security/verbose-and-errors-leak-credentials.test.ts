/**
 * Issue 10 item 2: credentials that travel outside `Authorization` (a
 * configured header pair, a user's -H) were printed by --verbose; a token with a
 * region prefix (`dal:…`) kept its tail; and a server error_description echoing a
 * secret reached stderr even without --verbose. Every known secret value is
 * redacted whole, wherever it appears.
 */
import { describe, expect } from 'vitest'
import { it, SUITE, expectExit, last, loginAcme, tokenRequests } from '../e2e/world'

describe('credentials in non-standard headers under --verbose', SUITE, () => {
  it('redacts both headers a configured header_pair credential fills, by what the tool filled', async ({ makeWorld }) => {
    const world = await makeWorld({
      providers: (fp) => ({
        pairco: {
          api_base_url: `${fp.url}/api`,
          static_credential: { format: 'EMAIL:KEY', scheme: 'header_pair', headers: ['X-Account', 'X-Pair-Value'] },
          default_login: 'static',
        },
      }),
    })
    const login = await world.cli(['login', 'pairco', '--with-token'], { stdin: 'ops-account-31:pair-value-9f8e7d6c5b\n' })
    expectExit(login, 0)
    const run = await world.cli(['call', 'pairco', '/things', '--verbose'])
    expect(run.stderr).toMatch(/> x-pair-value: \[redacted\]/)
    expect(run.stderr).toMatch(/> x-account: \[redacted\]/)
    expect(run.stderr).not.toContain('pair-value-9f8e7d6c5b')
    expect(run.stderr).not.toContain('ops-account-31')
  })

  it('redacts -H headers that carry credentials, and keeps harmless ones readable', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli([
      'call', 'acme', '/things', '--verbose',
      '-H', 'X-Auth-Key: user-key-aaaa1111',
      '-H', 'Authentication: user-authn-bbbb2222',
      '-H', 'X-Signature: user-sig-cccc3333',
      '-H', 'X-Amz-Security-Token: user-sts-dddd4444',
      '-H', 'X-Custom-Thing: user-custom-eeee5555',
      '-H', 'Accept-Language: en-GB',
    ])
    expectExit(run, 0)
    for (const secret of ['user-key-aaaa1111', 'user-authn-bbbb2222', 'user-sig-cccc3333', 'user-sts-dddd4444', 'user-custom-eeee5555']) {
      // The request lines (`> `) and the echoed body (`< `) alike.
      expect(run.stderr).not.toContain(secret)
    }
    expect(run.stderr).toMatch(/> accept-language: en-GB/)
  })

  it('redacts a region-prefixed token whole wherever it appears, not just up to the colon', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { tokenPrefix: 'dal:' } })
    await loginAcme(world)
    const token = last(world.fp.issuedAccessTokens())
    expect(token.startsWith('dal:')).toBe(true)
    // An API that quotes the credential it refused, as many debugging answers do.
    world.fp.injectApiFault({ status: 400, headers: { 'content-type': 'text/plain' }, body: `refused: Bearer ${token}` })
    const run = await world.cli(['call', 'acme', '/things', '--verbose'])
    expectExit(run, 4)
    expect(run.stderr).toMatch(/< refused: Bearer \[redacted\]$/m)
    expect(run.stderr).not.toContain(token.slice('dal:'.length))
  })
})

describe('secrets echoed by a server in error text', SUITE, () => {
  it('redacts the refresh token an error_description echoes, without --verbose', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const refreshToken = last(world.fp.issuedRefreshTokens())
    world.fp.injectTokenFault({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: 'invalid_request', error_description: `token ${refreshToken} is malformed` }),
    })
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 1)
    expect(run.stderr).toMatch(/malformed/)
    expect(run.stderr).not.toContain(refreshToken)
  })

  it('redacts the client secret and the access token an error_description echoes', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const access = last(world.fp.issuedAccessTokens())
    world.fp.injectTokenFault({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: 'invalid_request', error_description: `client ${world.fp.clientSecret} may not refresh ${access}` }),
    })
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 1)
    expect(run.stderr).toMatch(/may not refresh/)
    expect(run.stderr).not.toContain(world.fp.clientSecret)
    expect(run.stderr).not.toContain(access)
  })

  it('redacts the authorization code and the passphrase a failing code exchange echoes', async ({ makeWorld }) => {
    const world = await makeWorld()
    const passphrase = 'correct-horse-battery-staple'
    const cli = world.spawn(['login', 'acme', '--no-browser'], { env: { OAUTH_CLI_PASSPHRASE: passphrase } })
    const [authorize] = await cli.waitForStderr(/^http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+$/m)
    const approved = await fetch(authorize, { redirect: 'manual' })
    const callback = new URL(approved.headers.get('location')!)
    const code = callback.searchParams.get('code')!
    world.fp.injectTokenFault({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: 'invalid_grant', error_description: `code ${code} rejected; passphrase ${passphrase}?` }),
    })
    await fetch(callback)
    const run = await cli.exited
    expectExit(run, 1)
    expect(tokenRequests(world.fp)).toHaveLength(1)
    expect(run.stderr).toMatch(/rejected/)
    expect(run.stderr).not.toContain(code)
    expect(run.stderr).not.toContain(passphrase)
  })
})
