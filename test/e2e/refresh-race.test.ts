/**
 * Rotation-safe refresh across real processes: many `oauth-cli` processes
 * sharing one file store, against a provider that rotates refresh tokens and
 * revokes the whole grant when a rotated one is presented again.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import type { RecordedRequest } from '../support/fake-provider'
import { apiRequests, it, expectExit, last, loginAcme, paramsOf, tokenRequests, type MakeWorld, type World } from './world'

const PROCESSES = 32

function isRefresh(r: RecordedRequest): boolean {
  return r.method === 'POST' && r.path === '/token' && paramsOf(r).get('grant_type') === 'refresh_token'
}

function spentRefreshTokens(world: World): Array<string | null> {
  return tokenRequests(world.fp)
    .filter((r) => r.params.get('grant_type') === 'refresh_token')
    .map((r) => r.params.get('refresh_token'))
}

function lockDir(world: World): string {
  return join(world.env.XDG_DATA_HOME!, 'oauth-cli', 'locks')
}

function lockFile(world: World): string {
  return join(lockDir(world), 'refresh-acme-default.lock')
}

/** Logged in to `acme` with a token already inside the refresh skew; later refreshes yield long-lived ones. */
async function expiredLogin(makeWorld: MakeWorld): Promise<World> {
  const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
  await loginAcme(world)
  world.fp.setAccessTokenTtl(3600)
  world.fp.expireAllAccessTokens()
  return world
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now()
  const result = await work()
  return { result, ms: performance.now() - started }
}

describe('refresh across processes', { timeout: 90_000 }, () => {
  it(`lets ${PROCESSES} concurrent calls with an expired token share one refresh, without reuse`, async ({ makeWorld, annotate }) => {
    const world = await expiredLogin(makeWorld)
    const [loginRefreshToken] = world.fp.issuedRefreshTokens()
    const { result: runs, ms } = await timed(() =>
      Promise.all(Array.from({ length: PROCESSES }, () => world.cli(['call', 'acme', '/things'], { timeoutMs: 80_000 }))),
    )
    await annotate(`${PROCESSES} concurrent calls took ${Math.round(ms)} ms`)
    for (const run of runs) expectExit(run, 0)
    // One refresh, spending the login's refresh token once: no process presented a rotated one again.
    expect(spentRefreshTokens(world)).toEqual([loginRefreshToken])
    const fresh = last(world.fp.issuedAccessTokens())
    expect(world.fp.isTokenActive(last(world.fp.issuedRefreshTokens()))).toBe(true)
    const calls = apiRequests(world.fp, '/api/things')
    expect(calls).toHaveLength(PROCESSES)
    expect(calls.every((r) => r.headers.authorization === `Bearer ${fresh}`)).toBe(true)
    const after = await world.cli(['call', 'acme', '/things'])
    expectExit(after, 0)
    expect(spentRefreshTokens(world)).toHaveLength(1)
    expect(readdirSync(lockDir(world))).toEqual([])
  })

  it('does not touch the lock for a token that is still fresh', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    // The login stored under the lock (and released it); the token read must not take it again.
    const lockState = (): string | undefined =>
      existsSync(lockDir(world)) ? JSON.stringify([readdirSync(lockDir(world)), statSync(lockDir(world)).mtimeMs]) : undefined
    const before = lockState()
    expectExit(await world.cli(['token', 'acme']), 0)
    expect(lockState()).toBe(before)
  })

  it('recovers at once the lock of a process killed with SIGKILL in the middle of a refresh', async ({ makeWorld, annotate }) => {
    const world = await expiredLogin(makeWorld)
    const [loginRefreshToken] = world.fp.issuedRefreshTokens()
    world.fp.injectTokenFault('hang')
    const refresh = world.spawn(['refresh', 'acme'])
    await world.fp.waitForRequest(isRefresh, 20_000)
    // It holds the lock while its refresh request hangs.
    expect(JSON.parse(readFileSync(lockFile(world), 'utf8'))).toMatchObject({ pid: refresh.child.pid })
    refresh.child.kill('SIGKILL')
    expect((await refresh.exited).exitCode).toBeNull()
    expect(existsSync(lockFile(world))).toBe(true)

    const { result: run, ms } = await timed(() => world.cli(['call', 'acme', '/things']))
    await annotate(`the call after the kill took ${Math.round(ms)} ms`)
    expectExit(run, 0)
    expect(ms).toBeLessThan(5000)
    // The hung request was never answered, so the same refresh token was still good.
    expect(spentRefreshTokens(world)).toEqual([loginRefreshToken, loginRefreshToken])
    expect(world.fp.isTokenActive(last(world.fp.issuedRefreshTokens()))).toBe(true)
    expect(readdirSync(lockDir(world))).toEqual([])
  })

  // SPEC: a timeout is exit 5, and the shared store's lease wait gives up with exit 5 naming the holder; a local lock is the same.
  it.for(
    [
      ['call', 'acme', '/things'],
      ['token', 'acme'],
      ['token', 'acme', '--verbose'],
      ['refresh', 'acme'],
    ].map((argv) => ({ argv, command: argv.join(' ') })),
  )('$command gives up after the lock timeout with exit 5, naming the lock file and its holder, while a live process holds the lock', async ({ argv }, { makeWorld, annotate }) => {
    const world = await expiredLogin(makeWorld)
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' })
    const holderExited = new Promise((resolve) => holder.once('exit', resolve))
    try {
      const owner = { pid: holder.pid, hostname: hostname(), created_at: new Date().toISOString(), nonce: 'foreign' }
      mkdirSync(lockDir(world), { recursive: true, mode: 0o700 })
      writeFileSync(lockFile(world), JSON.stringify(owner))
      const env = { OAUTH_CLI_LOCK_TIMEOUT_MS: '1500' }
      const { result: run, ms } = await timed(() => world.cli(argv, { env }))
      await annotate(`${argv.join(' ')} blocked by a live holder took ${Math.round(ms)} ms`)
      expectExit(run, 5)
      expect(run.stdout).toBe('')
      expect(run.stderr).toContain(`waiting for the lock ${lockFile(world)} (held by pid ${holder.pid} on ${hostname()}`)
      expect(run.stderr).toMatch(/\nanother process holds the refresh lock of these credentials .*: wait for it to end, or stop it if it hangs/)
      expect(ms).toBeGreaterThanOrEqual(1500)
      expect(ms).toBeLessThan(10_000)
      expect(spentRefreshTokens(world)).toEqual([])
      expect(JSON.parse(readFileSync(lockFile(world), 'utf8'))).toEqual(owner)

      // Once the holder is gone, its lock is stale and the next call goes through.
      holder.kill('SIGKILL')
      await holderExited
      expectExit(await world.cli(argv, { env }), 0)
      expect(spentRefreshTokens(world)).toHaveLength(1)
    } finally {
      holder.kill('SIGKILL')
    }
  })
})
