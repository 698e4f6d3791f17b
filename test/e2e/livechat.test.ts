/**
 * The built-in `livechat` entry's quirks, with its endpoints pointed at the fake
 * provider by a config override: comma-separated scopes, region-prefixed tokens
 * and codes, extra token fields, client credentials in the body, and revocation
 * with `DELETE /v2/token` (shared/providers.md, LiveChat).
 */
import { describe, expect } from 'vitest'
import type { FakeProvider } from '../support/fake-provider'
import {
  it, SUITE, expectExit, last, parseStdout, scopesOf, statusJson, tokenRequests, type CredentialSummary, type MakeWorld, type World,
} from './world'

const SCOPES = ['chats--all:ro', 'agents--all:ro']

function livechatOverride(fp: FakeProvider): Record<string, Record<string, unknown>> {
  return {
    livechat: {
      authorization_endpoint: `${fp.url}/authorize`,
      token_endpoint: `${fp.url}/v2/token`,
      revocation_endpoint: `${fp.url}/v2/token`,
      api_base_url: `${fp.url}/api`,
      client_id: 'test-client',
      // The built-in default is the fixed port 3000; any free loopback port will do here.
      redirect_uri: 'http://127.0.0.1:0/callback',
    },
  }
}

async function livechatWorld(makeWorld: MakeWorld): Promise<World> {
  const world = await makeWorld({
    provider: {
      clientAuth: 'client_secret_post',
      // PKCE is LiveChat's option, not what these tests are about.
      requirePkce: false,
      scopeSeparator: ',',
      tokenPrefix: 'dal:',
      defaultScope: SCOPES,
      extraTokenFields: { organization_id: 'org-uuid-1', account_id: 'acct-uuid-1' },
    },
    providers: livechatOverride,
  })
  world.env.LIVECHAT_CLIENT_SECRET = world.fp.clientSecret
  return world
}

describe('LiveChat quirks', SUITE, () => {
  it('logs in with a dal:-prefixed code and comma-separated scopes, keeping both scopes', async ({ makeWorld }) => {
    const world = await livechatWorld(makeWorld)
    const run = await world.cli(['login', 'livechat', '--json'])
    expectExit(run, 0)
    const summary = parseStdout<CredentialSummary>(run)
    expect(summary).toMatchObject({ provider: 'livechat', profile: 'default', refreshable: true })
    expect(scopesOf(summary).sort()).toEqual([...SCOPES].sort())
    const exchange = last(tokenRequests(world.fp))
    expect(exchange.path).toBe('/v2/token')
    // The code went through the redirect URL-encoded (dal%3A…) and must arrive decoded exactly once.
    expect(world.fp.issuedCodes()).toContain(exchange.params.get('code'))
    expect(exchange.params.get('client_secret')).toBe(world.fp.clientSecret)
    const [listed] = await statusJson(world)
    expect(scopesOf(listed!).sort()).toEqual([...SCOPES].sort())
  })

  it('prints the region-prefixed access token unchanged', async ({ makeWorld }) => {
    const world = await livechatWorld(makeWorld)
    expectExit(await world.cli(['login', 'livechat']), 0)
    const run = await world.cli(['token', 'livechat'])
    expectExit(run, 0)
    expect(run.stdout).toMatch(/^dal:/)
    expect(run.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
  })

  it('logs out with DELETE /v2/token and the token as Bearer', async ({ makeWorld }) => {
    const world = await livechatWorld(makeWorld)
    expectExit(await world.cli(['login', 'livechat']), 0)
    const run = await world.cli(['logout', 'livechat'])
    expectExit(run, 0)
    const deletes = world.fp.requests.filter((r) => r.method === 'DELETE' && r.path === '/v2/token')
    expect(deletes.length).toBeGreaterThanOrEqual(1)
    const issued = [...world.fp.issuedAccessTokens(), ...world.fp.issuedRefreshTokens()]
    for (const d of deletes) expect(issued).toContain(/^Bearer (\S+)$/.exec(d.headers.authorization ?? '')?.[1])
    expect(world.fp.issuedAccessTokens().some((t) => world.fp.isTokenActive(t))).toBe(false)
    expect(await statusJson(world)).toEqual([])
  })

  it('calls the RPC-style API with the OAuth token as Bearer and a JSON body', async ({ makeWorld }) => {
    const world = await livechatWorld(makeWorld)
    expectExit(await world.cli(['login', 'livechat']), 0)
    const run = await world.cli(['call', 'livechat', '/v3.6/agent/action/list_chats', '-d', '{}'])
    expectExit(run, 0)
    const seen = last(world.fp.requests.filter((r) => r.path === '/api/v3.6/agent/action/list_chats'))
    expect(seen.method).toBe('POST')
    expect(seen.headers.authorization).toBe(`Bearer ${last(world.fp.issuedAccessTokens())}`)
    expect(seen.headers['content-type']).toMatch(/^application\/json\b/)
  })
})
