/**
 * The built CLI against a local HTTPS fake of each built-in provider (issue 11
 * items 1, 2, 4, 5, 7, 8, 10; shared/providers.md). The built-in entry keeps its
 * quirk fields; a config override points its endpoints at the fake behind a TLS
 * front with a private CA (trusted with --cacert). The browser's leg (authorize →
 * loopback redirect) stays plain loopback http, as in network.test.ts.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest'
import type { FakeProviderOptions } from '../support/fake-provider'
import { hasOpenssl } from '../support/openssl'
import type { CliOptions, CliRun } from '../support/run-cli'
import { makePki, startTlsFront, type Pki, type TlsFront } from '../support/tls-front'
import { apiRequests, expectExit, it, last, parseStdout, statusJson, tokenRequests, type CredentialSummary, type MakeWorld, type World } from './world'

let pki: Pki
/** Closed after the file: tests run concurrently, so a per-test hook could close another test's front. */
const fronts: TlsFront[] = []

interface ProviderWorld {
  world: World
  https: string
  cli(args: string[], opts?: Partial<CliOptions>): Promise<CliRun>
}

/** A world whose config overrides built-in `name` with `entry(httpsOrigin, world)`. */
async function providerWorld(
  makeWorld: MakeWorld,
  name: string,
  provider: FakeProviderOptions,
  entry: (https: string, world: World) => Record<string, unknown>,
): Promise<ProviderWorld> {
  const world = await makeWorld({ provider })
  const front = await startTlsFront(pki, Number(new URL(world.fp.url).port))
  fronts.push(front)
  world.home.writeConfig({ providers: { [name]: entry(front.url, world) } })
  return { world, https: front.url, cli: (args, opts) => world.cli([...args, '--cacert', pki.caFile], opts) }
}

const LIVECHAT_FAKE: FakeProviderOptions = {
  clientAuth: 'client_secret_post',
  scopeSeparator: ',',
  tokenPrefix: 'dal:',
  defaultScope: ['chats--all:ro', 'agents--all:ro'],
  extraTokenFields: { organization_id: 'org-uuid-1', account_id: 'acct-uuid-1' },
}

function livechatEntry(https: string, world: World): Record<string, unknown> {
  return {
    authorization_endpoint: `${world.fp.url}/authorize`,
    token_endpoint: `${https}/v2/token`,
    revocation_endpoint: `${https}/v2/token`,
    api_base_url: `${https}/api`,
    client_id: world.fp.clientId,
    redirect_uri: 'http://127.0.0.1:0/callback',
  }
}

async function confidentialLivechat(makeWorld: MakeWorld): Promise<ProviderWorld> {
  const w = await providerWorld(makeWorld, 'livechat', LIVECHAT_FAKE, livechatEntry)
  w.world.env.LIVECHAT_CLIENT_SECRET = w.world.fp.clientSecret
  return w
}

const deletes = (world: World) => world.fp.requests.filter((r) => r.method === 'DELETE' && r.path === '/v2/token')

describe.skipIf(!hasOpenssl())('built-in providers end to end over HTTPS', { concurrent: true, timeout: 60_000 }, () => {
  beforeAll(() => {
    pki = makePki()
  })
  afterAll(async () => {
    await Promise.all(fronts.map((f) => f.close()))
    pki?.remove()
  })

  describe('LiveChat', () => {
    it('a refresh answered unauthorized_client "refresh_token not found" exits 3 with the login command and keeps the credentials', async ({ makeWorld }) => {
      const { world, cli } = await confidentialLivechat(makeWorld)
      expectExit(await cli(['login', 'livechat']), 0)
      world.fp.injectTokenFault({
        status: 401,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: 'unauthorized_client', error_description: 'refresh_token not found' }),
      })
      const run = await cli(['refresh', 'livechat'])
      expectExit(run, 3)
      expect(run.stdout).toBe('')
      expect(run.stderr).toContain('livechat rejected the refresh token for profile default: unauthorized_client (refresh_token not found)')
      expect(run.stderr).toContain('run: oauth-cli login livechat')
      expect(run.stderr).not.toMatch(/check the client id/)
      const [kept] = await statusJson(world)
      // Kept, but no longer called refreshable: the provider said the refresh token is dead (issue 13).
      expect(kept).toMatchObject({ provider: 'livechat', refreshable: false })
    })

    it('a code exchange answered unauthorized_client (expired or used code) says so and to log in again; nothing is stored', async ({ makeWorld }) => {
      const { world, cli } = await confidentialLivechat(makeWorld)
      world.fp.injectTokenFault({
        status: 401,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: 'unauthorized_client', error_description: 'authorization code expired' }),
      })
      const run = await cli(['login', 'livechat'])
      expectExit(run, 1)
      expect(run.stderr).toContain('livechat refused the authorization code: it expired or was already used')
      expect(run.stderr).toContain('run: oauth-cli login livechat')
      expect(run.stderr).not.toMatch(/check the client id/)
      expect(await statusJson(world)).toEqual([])
    })

    it('a public web app (no secret): PKCE login, refresh with single-use rotation, logout with DELETE; doctor says which kind', async ({ makeWorld }) => {
      const { world, cli } = await providerWorld(
        makeWorld,
        'livechat',
        { ...LIVECHAT_FAKE, clientAuth: 'none', requirePkce: true, rotateRefreshTokens: true, revokeGrantOnReuse: true },
        livechatEntry,
      )
      const login = await cli(['login', 'livechat', '--json'])
      expectExit(login, 0)
      expect(parseStdout<CredentialSummary>(login)).toMatchObject({ provider: 'livechat', refreshable: true })
      const exchange = last(tokenRequests(world.fp))
      expect(exchange.path).toBe('/v2/token')
      expect(exchange.params.get('grant_type')).toBe('authorization_code')
      expect(exchange.params.get('client_id')).toBe(world.fp.clientId)
      expect(exchange.params.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/)
      expect(exchange.params.has('client_secret')).toBe(false)
      const authorize = world.fp.requests.find((r) => r.path === '/authorize')!
      expect(new URL(authorize.url, world.fp.url).searchParams.get('code_challenge_method')).toBe('S256')

      // Two refreshes: the second must send the refresh token the first one received (single-use).
      expectExit(await cli(['refresh', 'livechat']), 0)
      expectExit(await cli(['refresh', 'livechat']), 0)
      const refreshes = tokenRequests(world.fp).filter((r) => r.params.get('grant_type') === 'refresh_token')
      const issued = world.fp.issuedRefreshTokens()
      expect(refreshes.map((r) => r.params.get('refresh_token'))).toEqual([issued[0], issued[1]])
      for (const r of refreshes) expect(r.params.has('client_secret')).toBe(false)
      const token = await cli(['token', 'livechat'])
      expectExit(token, 0)
      expect(world.fp.isTokenActive(token.stdout.trim())).toBe(true)

      const doctor = await cli(['doctor', 'livechat'])
      expect(doctor.stdout).toMatch(/client .*a public client, no client secret: a public \(JavaScript web\) app: no client secret, PKCE required, refresh tokens rotate and are single-use/)

      expectExit(await cli(['logout', 'livechat']), 0)
      expect(deletes(world).length).toBeGreaterThanOrEqual(1)
      expect(world.fp.isTokenActive(last(world.fp.issuedRefreshTokens()))).toBe(false)
      expect(world.fp.isTokenActive(token.stdout.trim())).toBe(false)
      expect(await statusJson(world)).toEqual([])
    })

    it('a login over a stored credential says it replaces it and revokes the replaced pair once the new one is stored', async ({ makeWorld }) => {
      const { world, cli } = await confidentialLivechat(makeWorld)
      expectExit(await cli(['login', 'livechat']), 0)
      const [firstAccess] = world.fp.issuedAccessTokens()
      const [firstRefresh] = world.fp.issuedRefreshTokens()
      const again = await cli(['login', 'livechat'])
      expectExit(again, 0)
      expect(again.stderr).toContain('Already logged in to livechat (profile default): the new login replaced the stored credentials.')
      expect(again.stderr).toContain('Revoked the replaced livechat tokens (profile default).')
      expect(world.fp.isTokenActive(firstAccess!)).toBe(false)
      expect(world.fp.isTokenActive(firstRefresh!)).toBe(false)
      const token = await cli(['token', 'livechat'])
      expect(token.stdout.trim()).toBe(last(world.fp.issuedAccessTokens()))
      expect(world.fp.isTokenActive(token.stdout.trim())).toBe(true)
      // The new pair was stored before anything was revoked.
      const secondExchange = world.fp.requests.findLastIndex((r) => r.method === 'POST' && r.path === '/v2/token')
      expect(secondExchange).toBeLessThan(world.fp.requests.findIndex((r) => r.method === 'DELETE'))
    })

    it('a login whose revocation of the replaced tokens fails still succeeds, and says so', async ({ makeWorld }) => {
      const { world, https, cli } = await confidentialLivechat(makeWorld)
      expectExit(await cli(['login', 'livechat']), 0)
      // The revocation endpoint moves where nothing answers (port 1): the new login must not care.
      world.home.writeConfig({ providers: { livechat: { ...livechatEntry(https, world), revocation_endpoint: 'https://localhost:1/v2/token' } } })
      const run = await cli(['login', 'livechat'])
      expectExit(run, 0)
      expect(run.stderr).toMatch(/warning: logged in, but the replaced livechat tokens \(profile default\) could not be revoked/)
      const token = await cli(['token', 'livechat'])
      expect(token.stdout.trim()).toBe(last(world.fp.issuedAccessTokens()))
    })

    it('sends --scope chats--all:ro agents--all:ro comma-separated', async ({ makeWorld }) => {
      const { world, cli } = await confidentialLivechat(makeWorld)
      expectExit(await cli(['login', 'livechat', '--scope', 'chats--all:ro', 'agents--all:ro']), 0)
      const authorize = world.fp.requests.find((r) => r.path === '/authorize')!
      expect(authorize.url).toContain('scope=chats--all%3Aro%2Cagents--all%3Aro')
    })
  })

  describe('Livestorm', () => {
    const livestormEntry = (https: string, world: World): Record<string, unknown> => ({
      authorization_endpoint: `${world.fp.url}/authorize`,
      token_endpoint: `${https}/token`,
      api_base_url: `${https}/api/v1`,
    })

    it('without a redirect URI exits 2 at once naming --redirect-uri and the config key, partner-only, --with-token; nothing is contacted', async ({ makeWorld }) => {
      const { world, cli } = await providerWorld(makeWorld, 'livestorm', {}, livestormEntry)
      const run = await cli(['login', 'livestorm'], { env: { LIVESTORM_CLIENT_ID: 'ls-client' }, timeoutMs: 10_000 })
      expectExit(run, 2)
      expect(run.stderr).toContain('--redirect-uri')
      expect(run.stderr).toContain(`redirect_uri in providers.livestorm in ${world.configPath}`)
      expect(run.stderr).toMatch(/only for technology partners/)
      expect(run.stderr).toContain('oauth-cli login livestorm --with-token')
      expect(run.stderr).not.toMatch(/localhost:3000|Waiting for the redirect|unverified/)
      expect(world.fp.requests).toEqual([])
    })

    it('shows in `providers` that there is no redirect default', async ({ makeWorld }) => {
      const { cli } = await providerWorld(makeWorld, 'livestorm', {}, livestormEntry)
      const run = await cli(['providers'])
      expectExit(run, 0)
      const block = run.stdout.split(/\n(?=\S)/).find((b) => b.startsWith('livestorm'))!
      expect(block).toMatch(/redirect\s+none by default: Livestorm OAuth is only for technology partners/)
    })

    it('with its registered HTTPS redirect URL uses paste mode', async ({ makeWorld }) => {
      const { world } = await providerWorld(makeWorld, 'livestorm', { clientAuth: 'client_secret_post' }, (https, w) => ({
        ...livestormEntry(https, w),
        redirect_uri: 'https://partner.example/livestorm/callback',
      }))
      const spawned = world.spawn(['login', 'livestorm', '--cacert', pki.caFile], {
        keepStdinOpen: true,
        env: { BROWSER: world.noopBrowser(), LIVESTORM_CLIENT_ID: world.fp.clientId, LIVESTORM_CLIENT_SECRET: world.fp.clientSecret },
      })
      const [line] = await spawned.waitForStderr(/^http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+$/m)
      const res = await fetch(line, { redirect: 'manual' })
      const location = new URL(res.headers.get('location')!)
      expect(location.origin + location.pathname).toBe('https://partner.example/livestorm/callback')
      spawned.writeStdin(`${location.href}\n`)
      const run = await spawned.exited
      expectExit(run, 0)
      const sent = world.fp.requests.find((r) => r.path === '/token')!
      expect(sent.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/)
      const params = new URLSearchParams(sent.body)
      expect(params.get('redirect_uri')).toBe('https://partner.example/livestorm/callback')
      expect(params.get('client_secret')).toBe(world.fp.clientSecret)
    })

    it('a 429 with RateLimit-Monthly-Remaining: 0 exits 4 at once, saying the quota is spent and when it resets; a burst 429 is retried', async ({ makeWorld }) => {
      const { world, cli } = await providerWorld(makeWorld, 'livestorm', {}, livestormEntry)
      world.fp.addStaticCredential('raw', 'ls-api-token')
      expectExit(await cli(['login', 'livestorm', '--with-token'], { stdin: 'ls-api-token' }), 0)
      const reset = Math.floor(Date.now() / 1000) + 9 * 86_400
      const body = JSON.stringify({ errors: [{ title: 'Too Many Requests', detail: 'Monthly quota reached', code: '429', status: 'too_many_requests' }] })
      world.fp.injectApiFault({
        status: 429,
        headers: {
          'content-type': 'application/json',
          'RateLimit-Monthly-Limit': '10000',
          'RateLimit-Monthly-Remaining': '0',
          'RateLimit-Reset': String(reset),
          'Retry-After': '0',
        },
        body,
      }, Infinity)
      const started = Date.now()
      const run = await cli(['call', 'livestorm', '/events'])
      expectExit(run, 4)
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(apiRequests(world.fp, '/api/v1/events')).toHaveLength(1)
      expect(run.stdout).toBe(body)
      expect(run.stderr).toContain(`the monthly API quota is exhausted; it resets at ${new Date(reset * 1000).toISOString()}`)

      world.fp.injectApiFault({
        status: 429,
        headers: { 'content-type': 'application/json', 'RateLimit-Monthly-Remaining': '9000', 'RateLimit-Interval-Remaining': '0', 'Retry-After': '0' },
        body,
      }, 1)
      const burst = await cli(['call', 'livestorm', '/events'])
      expectExit(burst, 0)
      expect(apiRequests(world.fp, '/api/v1/events')).toHaveLength(3)
      expect(last(apiRequests(world.fp, '/api/v1/events')).headers.authorization).toBe('ls-api-token')
    })
  })

  describe('Tidio', () => {
    it('login --oauth posts JSON with the secret in the body, and every use says the endpoints are unverified', async ({ makeWorld }) => {
      const { world, cli } = await providerWorld(makeWorld, 'tidio', { clientAuth: 'client_secret_post', tokenEncoding: 'json' }, (https, w) => ({
        authorization_endpoint: `${w.fp.url}/authorize`,
        token_endpoint: `${https}/token`,
        api_base_url: `${https}/api`,
        client_id: w.fp.clientId,
        redirect_uri: 'http://127.0.0.1:0/callback',
      }))
      world.env.TIDIO_CLIENT_SECRET = world.fp.clientSecret
      const login = await cli(['login', 'tidio', '--oauth'])
      expectExit(login, 0)
      const sent = world.fp.requests.find((r) => r.path === '/token')!
      expect(sent.headers['content-type']).toBe('application/json')
      expect(sent.headers.authorization).toBeUndefined()
      expect(JSON.parse(sent.body)).toMatchObject({ grant_type: 'authorization_code', client_id: world.fp.clientId, client_secret: world.fp.clientSecret })
      const warning = "warning: tidio's OAuth endpoints are unverified"
      expect(login.stderr).toContain(warning)
      for (const args of [['token', 'tidio'], ['call', 'tidio', '/things'], ['refresh', 'tidio']]) {
        const run = await cli(args)
        expectExit(run, 0)
        expect(run.stderr.split(warning)).toHaveLength(2)
        expect(run.stdout).not.toContain(warning)
      }
      const refresh = last(world.fp.requests.filter((r) => r.path === '/token'))
      expect(JSON.parse(refresh.body)).toMatchObject({ grant_type: 'refresh_token', client_secret: world.fp.clientSecret })
      const providers = await cli(['providers'])
      const block = providers.stdout.split(/\n(?=\S)/).find((b) => b.startsWith('tidio'))!
      expect(block).toMatch(/token\s+\S+\/token \(JSON body\)/)
      expect(block).toMatch(/unverified .*third-party/)
    })

    it('the OpenAPI key pair stays the default and is not called unverified', async ({ makeWorld }) => {
      const { world, cli } = await providerWorld(makeWorld, 'tidio', {}, (https) => ({ api_base_url: `${https}/api` }))
      world.fp.addStaticCredential('header_pair', 'ci_1:cs_2')
      const login = await cli(['login', 'tidio'], { stdin: 'ci_1:cs_2' })
      expectExit(login, 0)
      const call = await cli(['call', 'tidio', '/operators'])
      expectExit(call, 0)
      expect(`${login.stderr}${call.stderr}`).not.toMatch(/unverified/)
    })
  })
})

