/**
 * Issue 10 item 1: with an `api_base_url` without a path (LiveChat's and
 * Tidio's built-ins, most configs), `call acme //127.0.0.1:9999/x` sent the
 * credential to port 9999, and its 401 made the tool refresh and send the new
 * token there too. Any path that would leave the API origin (`//host`,
 * backslashes, control characters) is refused with exit 2, before any request
 * and before any refresh.
 */
import { describe, expect } from 'vitest'
import { apiRequests, SUITE, expectExit, grantTypes, loginAcme } from '../e2e/world'
import { it, type HostileServer, type ScriptedReply } from './hostile-server'

/** Another host on loopback that would love a credential: it answers 401 to provoke a refresh. */
async function collector(startHostile: (routes: Record<string, ScriptedReply>) => Promise<HostileServer>) {
  const server = await startHostile({ '/x': { status: 401, body: { error: 'invalid_token' } } })
  return { ...server, hostPort: new URL(server.url).host }
}

const PATHS: Array<[string, (hostPort: string) => string]> = [
  ['//host/x', (h) => `//${h}/x`],
  ['///host/x', (h) => `///${h}/x`],
  ['\\\\host\\x', (h) => `\\\\${h}\\x`],
  ['/\\host/x', (h) => `/\\${h}/x`],
  ['\\/host/x', (h) => `\\/${h}/x`],
  ['/<tab>/host/x', (h) => `/\t/${h}/x`],
  ['/<newline>/host/x', (h) => `/\n/${h}/x`],
  ['/<CR>/host/x', (h) => `/\r/${h}/x`],
  ['<tab>//host/x', (h) => `\t//${h}/x`],
]

describe('call with a path that names another host', SUITE, () => {
  it.for(PATHS)('refuses %s with exit 2 and sends nothing anywhere', async ([, path], { makeWorld, startHostile }) => {
    const other = await collector(startHostile)
    // An api_base_url with no path, as LiveChat's and Tidio's built-ins have.
    const world = await makeWorld({ acme: (fp) => ({ api_base_url: fp.url }) })
    await loginAcme(world)
    const run = await world.cli(['call', 'acme', path(other.hostPort)])
    expectExit(run, 2)
    expect(run.stderr).toMatch(/another host|leave|origin/)
    expect(other.seen).toEqual([])
    expect(grantTypes(world.fp)).toEqual(['authorization_code'])
    expect(world.fp.requests.filter((r) => !['/authorize', '/token'].includes(r.path))).toEqual([])
  })

  it('reads host:port/x without a scheme as a path on the API origin, never another host', async ({ makeWorld, startHostile }) => {
    const other = await collector(startHostile)
    const world = await makeWorld({ acme: (fp) => ({ api_base_url: `${fp.url}/api` }) })
    await loginAcme(world)
    const run = await world.cli(['call', 'acme', `${other.hostPort}/x`])
    expectExit(run, 0)
    expect(other.seen).toEqual([])
    expect(apiRequests(world.fp).map((r) => r.path)).toEqual([`/api/${other.hostPort}/x`])
  })

  it('refuses it for a built-in provider with a static credential (LiveChat), before any request', async ({ makeWorld, startHostile }) => {
    const other = await collector(startHostile)
    const world = await makeWorld()
    expectExit(await world.cli(['login', 'livechat', '--with-token'], { stdin: 'account-1:pat-secret-value-1\n' }), 0)
    const run = await world.cli(['call', 'livechat', `//${other.hostPort}/x`])
    expectExit(run, 2)
    expect(other.seen).toEqual([])
  })

  it('still refuses an absolute URL on another origin, and still accepts one on the API origin', async ({ makeWorld, startHostile }) => {
    const other = await collector(startHostile)
    const world = await makeWorld({ acme: (fp) => ({ api_base_url: fp.url }) })
    await loginAcme(world)
    expectExit(await world.cli(['call', 'acme', `${other.url}/x`]), 2)
    expect(other.seen).toEqual([])
    expectExit(await world.cli(['call', 'acme', `${world.fp.url}/api/things`]), 0)
    expectExit(await world.cli(['call', 'acme', '/api/things']), 0)
  })
})
