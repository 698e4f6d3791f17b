/**
 * `token` with a stored token that needs renewing runs in the start-up fast
 * build (dist/main.cjs, then dist/fast-refresh.cjs), and `call`'s 401 refresh
 * in dist/fast-commands.cjs: shown by running a copy of the built binary that
 * has no full CLI at all (no dist/esm), so any hand-off would fail. Its
 * answers, errors included, are the full CLI's, compared run for run.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect } from 'vitest'
import type { TokenFault } from '../support/fake-provider'
import { REPO_ROOT, type CliRun } from '../support/run-cli'
import { apiRequests, expectCtrlCWhileLockHeldChangesNothing, expectExit, grantTypes, it, last, loginAcme, paramsOf, SUITE, tokenRequests, type World } from './world'

/** bin/ and dist/*.cjs only: the fast build without the full CLI it could hand over to. */
const fastOnly = mkdtempSync(join(tmpdir(), 'oauth-cli-fast-only-'))
mkdirSync(join(fastOnly, 'bin'))
mkdirSync(join(fastOnly, 'dist'))
copyFileSync(join(REPO_ROOT, 'package.json'), join(fastOnly, 'package.json'))
copyFileSync(join(REPO_ROOT, 'bin', 'oauth-cli.cjs'), join(fastOnly, 'bin', 'oauth-cli.cjs'))
for (const file of readdirSync(join(REPO_ROOT, 'dist')).filter((f) => f.endsWith('.cjs'))) {
  copyFileSync(join(REPO_ROOT, 'dist', file), join(fastOnly, 'dist', file))
}
const FAST_ONLY_BIN = join(fastOnly, 'bin', 'oauth-cli.cjs')
/** The full CLI alone, entered as the fast build hands over to it. */
const FULL_ONLY = join(fastOnly, 'full-cli.mjs')
writeFileSync(
  FULL_ONLY,
  `import { mainFull } from ${JSON.stringify(`file://${join(REPO_ROOT, 'dist', 'esm', 'main-full.js')}`)}\n` +
    'process.exitCode = await mainFull(process, process.argv.slice(2))\n',
)
afterAll(() => rmSync(fastOnly, { recursive: true, force: true }))

// Externals (the keychain addon, pg) resolve from the repository, as from an installed package.
const fast = (world: World, args: string[], env: Record<string, string> = {}) =>
  world.cli(args, { entry: FAST_ONLY_BIN, env: { NODE_PATH: join(REPO_ROOT, 'node_modules'), ...env } })
const full = (world: World, args: string[]) => world.cli(args, { entry: FULL_ONLY })

/** Logged in, with a stored token already expired (so `token` must refresh), new tokens living an hour. */
async function staleWorld(makeWorld: (o?: object) => Promise<World>): Promise<World> {
  const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
  await loginAcme(world)
  world.fp.setAccessTokenTtl(3600)
  return world
}

/** What differs between two worlds by construction: the provider's port, the temp home. */
function normalised(run: CliRun, world: World): CliRun {
  const clean = (text: string) => text.split(new URL(world.fp.url).host).join('<provider>').split(world.home.home).join('<home>')
  return { exitCode: run.exitCode, stdout: clean(run.stdout), stderr: clean(run.stderr) }
}

describe('token refreshing in the fast build', SUITE, () => {
  it('refreshes a stale token without the full CLI and stores the rotated pair', async ({ makeWorld }) => {
    const world = await staleWorld(makeWorld)
    const [loginRefresh] = world.fp.issuedRefreshTokens()
    const run = await fast(world, ['token', 'acme'])
    expectExit(run, 0)
    expect(run.stderr).toBe('')
    const fresh = last(world.fp.issuedAccessTokens())
    expect(run.stdout).toBe(`${fresh}\n`)
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
    expect(last(tokenRequests(world.fp)).params.get('refresh_token')).toBe(loginRefresh)
    // Stored: the next `token` prints it without a request, and the next refresh spends the rotated token.
    const again = await fast(world, ['token', 'acme'])
    expect(again.stdout).toBe(`${fresh}\n`)
    expect(grantTypes(world.fp)).toHaveLength(2)
    const rotated = last(world.fp.issuedRefreshTokens())
    expect(rotated).not.toBe(loginRefresh)
    expectExit(await fast(world, ['token', 'acme', '--min-ttl', '7200']), 1)
    expect(last(tokenRequests(world.fp)).params.get('refresh_token')).toBe(rotated)
    expect(world.fp.isTokenActive(last(world.fp.issuedRefreshTokens()))).toBe(true)
  })

  it('loads no node:crypto or node:os and formats no Date for a refresh saved in a plain file store (first uses a bare token request does not pay)', async ({ makeWorld }) => {
    const world = await staleWorld(makeWorld)
    const loaded = join(world.home.home, 'first-uses.json')
    const preload = join(world.home.home, 'record-first-uses.cjs')
    writeFileSync(
      preload,
      // toISOString's first call sets up V8's date cache (the time zone): about 0.25 ms.
      'let formatted = 0\nconst toISOString = Date.prototype.toISOString\nDate.prototype.toISOString = function () { formatted++; return toISOString.call(this) }\n' +
        `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify({ modules: process.moduleLoadList, formatted })))\n`,
    )
    const run = await fast(world, ['token', 'acme'], { NODE_OPTIONS: `--require "${preload}"` })
    expectExit(run, 0)
    expect(run.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
    const { modules, formatted } = JSON.parse(readFileSync(loaded, 'utf8')) as { modules: string[]; formatted: number }
    expect(modules).toContain('NativeModule http')
    expect(modules.filter((m) => /crypto/.test(m))).toEqual([])
    // The lock records this host's name all the same (read without node:os).
    expect(modules).not.toContain('NativeModule os')
    expect(formatted).toBe(0)
    // The stored times are ISO 8601 all the same.
    const status = JSON.parse((await fast(world, ['status', 'acme', '--json'])).stdout) as Array<{ expires_at: string }>
    expect(status[0]?.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  })

  it('prints the --json summary of the refreshed token', async ({ makeWorld }) => {
    const world = await staleWorld(makeWorld)
    const run = await fast(world, ['token', 'acme', '--json'])
    expectExit(run, 0)
    expect(JSON.parse(run.stdout)).toMatchObject({ access_token: last(world.fp.issuedAccessTokens()), token_type: 'Bearer' })
  })

  const faults: Array<[string, TokenFault]> = [
    ['invalid_grant', { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'invalid_grant', error_description: 'refresh token revoked' }) }],
    ['a 500 HTML page', { status: 500, headers: { 'content-type': 'text/html' }, body: '<html>internal error</html>' }],
    ['invalid_client', { status: 401, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'invalid_client' }) }],
    ['an unusable expires_in', { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: 'at-once', refresh_token: 'rt-once', token_type: 'Bearer', expires_in: 'abc' }) }],
    ['a reset connection', 'reset'],
  ]
  it.for(faults)('answers %s exactly as the full CLI does', async ([, fault], { makeWorld }) => {
    const [ours, theirs] = await Promise.all([staleWorld(makeWorld), staleWorld(makeWorld)])
    ours.fp.injectTokenFault(fault)
    theirs.fp.injectTokenFault(fault)
    const [a, b] = await Promise.all([fast(ours, ['token', 'acme']), full(theirs, ['token', 'acme'])])
    expect(normalised(a, ours)).toEqual(normalised(b, theirs))
    expect(grantTypes(ours.fp)).toEqual(grantTypes(theirs.fp))
    // And leaves the store as the full CLI did: the same next answer.
    const [c, d] = await Promise.all([fast(ours, ['status', 'acme', '--json']), full(theirs, ['status', 'acme', '--json'])])
    const shape = (run: CliRun) => (JSON.parse(run.stdout) as Array<Record<string, unknown>>).map(({ status, refreshable, expires_at }) => ({ status, refreshable, expires: expires_at === null }))
    expect(shape(c)).toEqual(shape(d))
  })

  it('says as the full CLI does when even the renewed token lives less than --min-ttl', async ({ makeWorld }) => {
    const [ours, theirs] = await Promise.all([staleWorld(makeWorld), staleWorld(makeWorld)])
    const [a, b] = await Promise.all([fast(ours, ['token', 'acme', '--min-ttl', '7200']), full(theirs, ['token', 'acme', '--min-ttl', '7200'])])
    expectExit(a, 1)
    expect(normalised(a, ours)).toEqual(normalised(b, theirs))
  })

  it('ends on Ctrl-C while the provider has not answered as the full CLI does: waits for the answer, and a second Ctrl-C ends it with one "cancelled" line, exit 130', async ({ makeWorld }) => {
    const world = await staleWorld(makeWorld)
    world.fp.injectTokenFault('hang')
    const cli = world.spawn(['token', 'acme'], { entry: FAST_ONLY_BIN, env: { NODE_PATH: join(REPO_ROOT, 'node_modules') } })
    await world.fp.waitForRequest((r) => r.path === '/token' && paramsOf(r).get('grant_type') === 'refresh_token')
    cli.child.kill('SIGINT')
    // The refresh is out: its answer may hold the only copy of a rotated refresh token (interrupt-during-refresh.test.ts).
    await cli.waitForStderr(/waiting for the answer to the refresh already sent.*Ctrl-C again/)
    cli.child.kill('SIGINT')
    const run = await cli.exited
    expectExit(run, 130)
    expect(run.stdout).toBe('')
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('oauth-cli: cancelled')
  })

  it('on Ctrl-C while waiting for the lock, sends nothing once the lock frees, prints no token, and leaves no temp or lock file', async ({ makeWorld }) => {
    const world = await staleWorld(makeWorld)
    await expectCtrlCWhileLockHeldChangesNothing(world, ['token', 'acme'], { entry: FAST_ONLY_BIN, env: { NODE_PATH: join(REPO_ROOT, 'node_modules') } })
  })

  it('reports an unreachable token endpoint as the full CLI does, and keeps the stored credential', async ({ makeWorld }) => {
    const [ours, theirs] = await Promise.all([staleWorld(makeWorld), staleWorld(makeWorld)])
    const closed = async (world: World) => {
      const url = world.fp.url
      await world.fp.close()
      return url
    }
    await Promise.all([closed(ours), closed(theirs)])
    const [a, b] = await Promise.all([fast(ours, ['token', 'acme']), full(theirs, ['token', 'acme'])])
    expectExit(a, 5)
    expect(normalised(a, ours)).toEqual(normalised(b, theirs))
  })
})

describe("call's 401 refresh in the fast build", SUITE, () => {
  it('refreshes once after a 401 and sends again, without the full CLI', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    world.fp.expireAllAccessTokens()
    const run = await fast(world, ['call', 'acme', '/things'])
    expectExit(run, 0)
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
    const sent = apiRequests(world.fp, '/api/things').map((r) => r.headers.authorization)
    expect(sent).toHaveLength(2)
    expect(sent[1]).toBe(`Bearer ${last(world.fp.issuedAccessTokens())}`)
  })

  it('refreshes a stale stored token before the first request, without the full CLI', async ({ makeWorld }) => {
    const world = await staleWorld(makeWorld)
    const run = await fast(world, ['call', 'acme', '/things'])
    expectExit(run, 0)
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
    expect(apiRequests(world.fp, '/api/things')).toHaveLength(1)
  })
})
