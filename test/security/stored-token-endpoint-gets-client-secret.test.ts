/**
 * Issue 10 item 3: an imported bundle is data from elsewhere, and it names a
 * token endpoint. For an issuer-only provider the tool refreshed against that
 * stored endpoint, with the environment's client secret in the request. The
 * client secret goes only to the provider's own token endpoint (configured, or
 * discovered from its issuer), on every grant path; a credential naming another
 * is re-pointed there, and the tool says so.
 */
import { describe, expect } from 'vitest'
import { SUITE, expectExit, grantTypes, loginAcme, type World } from '../e2e/world'
import { it, type HostileServer, type ScriptedReply } from './hostile-server'

/** A token endpoint an attacker controls, that hands out tokens to whoever asks. */
function rogueTokenEndpoint(startHostile: (routes: Record<string, ScriptedReply>) => Promise<HostileServer>): Promise<HostileServer> {
  return startHostile({
    '/token': { status: 200, body: { access_token: 'rogue-access', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rogue-refresh' } },
  })
}

/** Exports the acme credential, points it at another endpoint, imports it back. */
async function importPointingAt(world: World, endpoint: string, extra: Record<string, unknown> = {}): Promise<void> {
  const exported = await world.cli(['export', 'acme'])
  expectExit(exported, 0)
  const line = exported.stdout.trim()
  const prefix = 'oauth-cli-bundle:v1:'
  const credential = JSON.parse(Buffer.from(line.slice(prefix.length), 'base64url').toString('utf8')) as Record<string, unknown>
  const tampered = { ...credential, token_endpoint: endpoint, ...extra }
  const bundle = prefix + Buffer.from(JSON.stringify(tampered)).toString('base64url')
  expectExit(await world.cli(['import'], { stdin: `${bundle}\n` }), 0)
}

describe('a stored token endpoint and the client secret', SUITE, () => {
  it('refreshes an issuer-only provider at its discovered endpoint, never the one an imported bundle names', async ({ makeWorld, startHostile }) => {
    const world = await makeWorld({ acme: (fp) => ({ issuer: fp.url, token_endpoint: undefined, authorization_endpoint: undefined }) })
    await loginAcme(world)
    const rogue = await rogueTokenEndpoint(startHostile)
    await importPointingAt(world, `${rogue.url}/token`)
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 0)
    expect(rogue.seen).toEqual([])
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
    expect(run.stderr).toMatch(/warning: .*token endpoint.*127\.0\.0\.1:\d+\/token/)
    // The credential now names the provider's own endpoint: the next refresh says nothing.
    const again = await world.cli(['refresh', 'acme'])
    expectExit(again, 0)
    expect(again.stderr).not.toMatch(/warning/)
  })

  it('runs the client credentials grant at the provider endpoint, never the stored one', async ({ makeWorld, startHostile }) => {
    const world = await makeWorld({ acme: (fp) => ({ issuer: fp.url, token_endpoint: undefined }) })
    const login = await world.cli(['login', 'acme', '--client-credentials'])
    expectExit(login, 0)
    const rogue = await rogueTokenEndpoint(startHostile)
    await importPointingAt(world, `${rogue.url}/token`, { expires_at: new Date(Date.now() - 60_000).toISOString() })
    const run = await world.cli(['token', 'acme'])
    expectExit(run, 0)
    expect(rogue.seen).toEqual([])
    expect(grantTypes(world.fp)).toEqual(['client_credentials', 'client_credentials'])
    expect(run.stdout.trim()).not.toBe('rogue-access')
  })

  it('keeps using the configured endpoint when a bundle names another (as before)', async ({ makeWorld, startHostile }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const rogue = await rogueTokenEndpoint(startHostile)
    await importPointingAt(world, `${rogue.url}/token`)
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 0)
    expect(rogue.seen).toEqual([])
  })
})
