import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { systemClock } from '../../src/platform/clock'
import { refreshLockName } from '../../src/session/save-issued'
import { createFileStore } from '../../src/store/file-store'
import { createFileLocker } from '../../src/store/lock'
import { it, SUITE, expectExit, lockAttempted, loginAcme, paramsOf, refreshAtProvider, statusJson, type World } from './world'

describe('logout', SUITE, () => {
  it('revokes at the RFC 7009 endpoint with client authentication, then forgets the credentials', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli(['logout', 'acme'])
    expectExit(run, 0)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/acme/)
    const revokes = world.fp.requests.filter((r) => r.method === 'POST' && r.path === '/revoke')
    expect(revokes.length).toBeGreaterThanOrEqual(1)
    const issued = [...world.fp.issuedAccessTokens(), ...world.fp.issuedRefreshTokens()]
    for (const r of revokes) {
      const token = paramsOf(r).get('token')
      expect(issued).toContain(token)
      expect(world.fp.isTokenActive(token!)).toBe(false)
      expect(r.headers.authorization).toMatch(/^Basic /)
    }
    // Revoking the refresh token (or both) ends the grant: nothing issued stays usable.
    expect(issued.filter((t) => world.fp.isTokenActive(t))).toEqual([])
    expect(await statusJson(world)).toEqual([])
    const token = await world.cli(['token', 'acme'])
    expectExit(token, 3)
  })

  it('revokes with DELETE and the Bearer token for a provider with revocation_style delete_bearer', async ({ makeWorld }) => {
    const world = await makeWorld({
      acme: (fp) => ({ revocation_endpoint: `${fp.url}/v2/token`, revocation_style: 'delete_bearer' }),
    })
    await loginAcme(world)
    const run = await world.cli(['logout', 'acme'])
    expectExit(run, 0)
    const deletes = world.fp.requests.filter((r) => r.method === 'DELETE' && r.path === '/v2/token')
    expect(deletes.length).toBeGreaterThanOrEqual(1)
    const issued = [...world.fp.issuedAccessTokens(), ...world.fp.issuedRefreshTokens()]
    for (const d of deletes) expect(issued).toContain(/^Bearer (\S+)$/.exec(d.headers.authorization ?? '')?.[1])
    expect(world.fp.requests.some((r) => r.path === '/revoke')).toBe(false)
    expect(await statusJson(world)).toEqual([])
  })

  it('removes the credentials locally and says so when the provider has no revocation endpoint', async ({ makeWorld }) => {
    const world = await makeWorld({ acme: { revocation_endpoint: undefined } })
    await loginAcme(world)
    const before = world.fp.requests.length
    const run = await world.cli(['logout', 'acme'])
    expectExit(run, 0)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/local|this machine|not revoked/i)
    expect(world.fp.requests.length).toBe(before)
    expect(await statusJson(world)).toEqual([])
  })

  it('keeps the credentials and exits 5 when the provider is unreachable; --local then removes them', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const before = await statusJson(world)
    await world.fp.close()
    const run = await world.cli(['logout', 'acme'])
    expectExit(run, 5)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/revo/i)
    expect(run.stderr).toContain('--local')
    expect(await statusJson(world)).toEqual(before)
    const local = await world.cli(['logout', 'acme', '--local'])
    expectExit(local, 0)
    expect(local.stderr).toMatch(/local/i)
    expect(await statusJson(world)).toEqual([])
  })

  it('waits for a refresh holding the lock, then revokes the rotated pair it stored and removes it: nothing comes back', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const dataDir = join(world.env.XDG_DATA_HOME!, 'oauth-cli')
    const store = createFileStore({ dir: dataDir })
    const key = { provider: 'acme', profile: 'default' }
    const locks = join(dataDir, 'locks')
    // The refresh of another process, by hand: it holds the lock while it spends the refresh token and stores the new pair.
    const refresher = createFileLocker(locks, systemClock)
    let rotated!: { access_token: string; refresh_token: string }
    let logout!: ReturnType<World['spawn']>
    await refresher.withLock(refreshLockName(key), async () => {
      const attempt = lockAttempted(locks)
      try {
        logout = world.spawn(['logout', 'acme'])
        await Promise.race([attempt.seen, logout.exited.then(() => undefined)])
        const before = await store.get(key)
        if (before.status !== 'found') throw new Error('logout removed the credential while a refresh held the lock')
        const answer = await refreshAtProvider(world, before.credential.refresh_token!)
        rotated = answer
        await store.set({ ...before.credential, access_token: answer.access_token, refresh_token: answer.refresh_token, updated_at: new Date().toISOString() })
        await attempt.seen
      } finally {
        attempt.close()
      }
    })
    const run = await logout.exited
    expectExit(run, 0)
    expect(await statusJson(world)).toEqual([])
    expect(world.fp.isTokenActive(rotated.refresh_token)).toBe(false)
    expect(world.fp.isTokenActive(rotated.access_token)).toBe(false)
    expect([...world.fp.issuedAccessTokens(), ...world.fp.issuedRefreshTokens()].filter((t) => world.fp.isTokenActive(t))).toEqual([])
  })

  // RFC 7009 §2.2: an invalid token is no error for revocation; Google's endpoint answers 400 invalid_token for a
  // token already revoked or expired. The token is dead: logout removes it, instead of keeping it and exiting 1.
  it('revokes and removes the credentials when the revocation endpoint answers 400 invalid_token', async ({ makeWorld }) => {
    const revokes: string[] = []
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        revokes.push(new URLSearchParams(body).get('token_type_hint') ?? '')
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_token","error_description":"Token expired or revoked"}')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const world = await makeWorld({ acme: { revocation_endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/revoke` } })
      await loginAcme(world)
      const run = await world.cli(['logout', 'acme', '--json'])
      expectExit(run, 0)
      expect(JSON.parse(run.stdout)).toMatchObject({ provider: 'acme', profile: 'default', revoked: true })
      expect(revokes).toEqual(['refresh_token', 'access_token'])
      expect(await statusJson(world)).toEqual([])
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('removes a credential whose provider is no longer configured: --local, and a plain logout saying it could not revoke', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    await loginAcme(world, ['--profile', 'work'])
    // The config-file entry is removed: status still lists both credentials, so logout must be able to remove them.
    world.home.writeConfig({ providers: {} })
    expect((await statusJson(world)).map((s) => `${s.provider}/${s.profile}`)).toEqual(['acme/default', 'acme/work'])
    const sent = world.fp.requests.length
    const local = await world.cli(['logout', 'acme', '--local'])
    expectExit(local, 0)
    expect(local.stderr).toContain('Removed the credentials for acme (profile default)')
    const plain = await world.cli(['logout', 'acme', '--profile', 'work', '--json'])
    expectExit(plain, 0)
    expect(JSON.parse(plain.stdout)).toMatchObject({ provider: 'acme', profile: 'work', revoked: false })
    expect(plain.stderr).toMatch(/acme is no longer a configured provider.*could not be revoked/)
    expect(await statusJson(world)).toEqual([])
    expect(world.fp.requests.length).toBe(sent)
    // With nothing stored under it, an unknown name is still a usage error naming the known ones.
    const typo = await world.cli(['logout', 'acme', '--local'])
    expectExit(typo, 2)
    expect(typo.stderr).toContain('unknown provider "acme"')
  })

  it('removes only the named profile', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    await loginAcme(world, ['--profile', 'work'])
    expectExit(await world.cli(['logout', 'acme', '--profile', 'work']), 0)
    expect((await statusJson(world)).map((s) => s.profile)).toEqual(['default'])
    expectExit(await world.cli(['token', 'acme']), 0)
  })
})
