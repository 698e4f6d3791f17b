/**
 * Provider configuration as the contract describes it: discovery from `issuer`,
 * token request encoding and client authentication per provider, where client
 * credentials come from (flag > environment > .env/config), and `providers`.
 */
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { it, SUITE, expectExit, loginAcme, statusJson, tokenRequests } from './world'

describe('provider configuration', SUITE, () => {
  it('discovers missing endpoints from the issuer\'s RFC 8414 metadata', async ({ makeWorld }) => {
    const world = await makeWorld({
      acme: (fp) => ({ issuer: fp.issuer, authorization_endpoint: undefined, token_endpoint: undefined, revocation_endpoint: undefined }),
    })
    await loginAcme(world)
    expect(world.fp.requests.some((r) => r.path === '/.well-known/oauth-authorization-server')).toBe(true)
    expect(tokenRequests(world.fp)).toHaveLength(1)
    expect(await statusJson(world)).toHaveLength(1)
  })

  it.for([
    ['answers 404 at both well-known URLs', 2, 404],
    ['answers metadata naming another issuer', 2, 200],
    ['answers 503 (the issuer failing, not wrong)', 5, 503],
  ] as const)('an issuer that %s: exit %i, naming the issuer and what was tried', async ([, exit, status], { makeWorld }) => {
    const issuer = createServer((_req, res) => {
      if (status !== 200) return void res.writeHead(status, { 'content-type': 'text/plain' }).end('no')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: 'https://elsewhere.example', token_endpoint: 'https://elsewhere.example/token' }))
    })
    await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}`
      const world = await makeWorld({ acme: { issuer: url, authorization_endpoint: undefined, token_endpoint: undefined } })
      const run = await world.cli(['login', 'acme'])
      expectExit(run, exit)
      expect(run.stderr).toContain(`cannot discover metadata for issuer ${url}`)
      expect(run.stderr).toContain('/.well-known/oauth-authorization-server')
      expect(world.fp.requests).toHaveLength(0)
    } finally {
      issuer.closeAllConnections()
      await new Promise((resolve) => issuer.close(resolve))
    }
  })

  it('sends the token request as JSON when token_request_encoding is json', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { tokenEncoding: 'json' }, acme: { token_request_encoding: 'json' } })
    await loginAcme(world)
    const [exchange] = tokenRequests(world.fp)
    expect(exchange!.headers['content-type']).toMatch(/^application\/json\b/)
    expect(JSON.parse(exchange!.body)).toMatchObject({ grant_type: 'authorization_code' })
  })

  it('authenticates with client_secret_post when configured, with no Basic header', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { clientAuth: 'client_secret_post' }, acme: { token_endpoint_auth_method: 'client_secret_post' } })
    await loginAcme(world)
    const [exchange] = tokenRequests(world.fp)
    expect(exchange!.headers.authorization).toBeUndefined()
    expect(exchange!.params.get('client_id')).toBe('test-client')
    expect(exchange!.params.get('client_secret')).toBe(world.fp.clientSecret)
  })

  it('authenticates as a public client with none: client_id in the body, no secret anywhere', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { clientAuth: 'none' }, acme: { token_endpoint_auth_method: 'none' } })
    // A secret in the environment must not be sent to a provider that takes none.
    const run = await world.cli(['login', 'acme'])
    expectExit(run, 0)
    const [exchange] = tokenRequests(world.fp)
    expect(exchange!.headers.authorization).toBeUndefined()
    expect(exchange!.params.get('client_id')).toBe('test-client')
    expect(exchange!.params.has('client_secret')).toBe(false)
  })

  it('reads the client secret from stdin with --client-secret-stdin, over the environment', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['login', 'acme', '--client-secret-stdin'], {
      env: { ACME_CLIENT_SECRET: 'stale-env-secret' },
      stdin: `${world.fp.clientSecret}\n`,
    })
    expectExit(run, 0)
    expect(run.stderr).not.toContain(world.fp.clientSecret)
  })

  it('takes the client id from a .env file in the working directory', async ({ makeWorld }) => {
    const world = await makeWorld({ acme: { client_id: undefined } })
    writeFileSync(join(world.home.home, '.env'), 'ACME_CLIENT_ID=test-client\n')
    await loginAcme(world)
  })

  it('lets the environment beat the config file, and a flag beat the environment', async ({ makeWorld }) => {
    const world = await makeWorld()
    const env = { ACME_CLIENT_ID: 'env-client', BROWSER: world.noopBrowser() }
    const fromEnv = await world.cli(['login', 'acme', '--timeout', '1'], { env })
    expectExit(fromEnv, 5)
    // The noop browser never visits: read the client id from the URL the CLI printed.
    expect(fromEnv.stderr).toMatch(/client_id=env-client\b/)
    const fromFlag = await world.cli(['login', 'acme', '--client-id', 'test-client'], { env: { ACME_CLIENT_ID: 'env-client' } })
    expectExit(fromFlag, 0)
  })
})

describe('providers', SUITE, () => {
  it('lists the built-in providers and the configured one with its endpoints', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['providers'])
    expectExit(run, 0)
    for (const name of ['livechat', 'livestorm', 'tidio', 'acme']) expect(run.stdout).toContain(name)
    expect(run.stdout).toContain(`${world.fp.url}/authorize`)
    expect(run.stdout).toMatch(/unverified/i)
  })
})

describe('global options', SUITE, () => {
  it('prints the version on stdout with --version', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['--version'])
    expectExit(run, 0)
    expect(run.stdout).toMatch(/^oauth-cli \d+\.\d+\.\d+\S*\n$/)
  })

  it('exits 2 on an unknown flag', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['status', '--no-such-flag'])
    expectExit(run, 2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/--no-such-flag/)
  })
})
