/**
 * Attack (issue 10 item 6): a refresh whose response drips slowly kept the lock
 * past its age limit; a second process took the lock over and spent the same
 * (already rotated) refresh token, and the provider revoked the grant. A lock
 * is taken over only when its holder is gone (dead on this host, or its
 * heartbeat stale), never by age; and every refresh has an overall deadline.
 *
 * The age limit is made short with OAUTH_CLI_LOCK_STALE_MS (no sleeps): the
 * answer drips for three times that long, through a proxy in front of a fake
 * provider that rotates and revokes the grant on reuse.
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect } from 'vitest'
import type { FakeProvider } from '../support/fake-provider'
import { expectExit, it, loginAcme, tokenRequests, type World } from '../e2e/world'

const STALE_MS = 800
const DRIP_MS = 3 * STALE_MS

/** Forwards /token to the provider (which processes it at once), then drips the answer over `dripMs` (forever when undefined). */
async function startDripProxy(fp: FakeProvider, dripMs: number | undefined): Promise<{ url: string; close(): Promise<void>; started: Promise<void> }> {
  let markStarted: () => void = () => undefined
  const started = new Promise<void>((resolve) => (markStarted = resolve))
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<string, string>
      const answer = await fetch(`${fp.url}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) })
      const body = Buffer.from(await answer.arrayBuffer())
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json', 'content-length': String(body.length) })
      markStarted()
      if (dripMs === undefined) {
        res.write(body.subarray(0, 1))
        const keepAlive = setInterval(() => res.write(''), 100)
        res.on('close', () => clearInterval(keepAlive))
        return
      }
      let sent = 0
      const step = Math.max(1, Math.ceil(body.length / 20))
      const timer = setInterval(() => {
        res.write(body.subarray(sent, sent + step))
        sent += step
        if (sent >= body.length) {
          clearInterval(timer)
          res.end()
        }
      }, dripMs / 20)
      res.on('close', () => clearInterval(timer))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    started,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

function pointTokenEndpointAt(world: World, url: string): void {
  const config = JSON.parse(readFileSync(world.configPath, 'utf8')) as { providers: { acme: Record<string, unknown> } }
  config.providers.acme.token_endpoint = url
  world.home.writeConfig(config)
}

function spent(world: World): Array<string | null> {
  return tokenRequests(world.fp).filter((r) => r.params.get('grant_type') === 'refresh_token').map((r) => r.params.get('refresh_token'))
}

describe('a refresh whose answer drips past the lock age limit', { timeout: 60_000 }, () => {
  it('keeps its lock while it lives: the waiting process never spends the same refresh token', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    await loginAcme(world)
    const proxy = await startDripProxy(world.fp, DRIP_MS)
    pointTokenEndpointAt(world, `${proxy.url}/token`)
    try {
      world.fp.setAccessTokenTtl(3600)
      const env = { OAUTH_CLI_LOCK_STALE_MS: String(STALE_MS) }
      const first = world.spawn(['token', 'acme'], { env })
      // The provider has rotated; its answer is still dripping. Now a second process wants a token.
      await proxy.started
      const second = world.spawn(['token', 'acme'], { env })
      const [a, b] = await Promise.all([first.exited, second.exited])
      expectExit(a, 0)
      expectExit(b, 0)
      const [loginRefreshToken] = world.fp.issuedRefreshTokens()
      expect(spent(world)).toEqual([loginRefreshToken])
      expect(b.stdout).toBe(a.stdout)
      expect(world.fp.isTokenActive(a.stdout.trim())).toBe(true)
    } finally {
      await proxy.close()
    }
  })

  it('gives up at the refresh deadline when the answer never ends, and frees the lock', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    await loginAcme(world)
    const proxy = await startDripProxy(world.fp, undefined)
    pointTokenEndpointAt(world, `${proxy.url}/token`)
    try {
      const started = Date.now()
      const run = await world.cli(['token', 'acme'], { env: { OAUTH_CLI_REFRESH_DEADLINE_MS: '1500' } })
      expectExit(run, 5)
      expect(Date.now() - started).toBeLessThan(8000)
      expect(run.stderr).toMatch(/did not (finish|answer)|timed out|deadline/i)
      // Nothing else holds the lock now: a refresh against the provider itself goes through at once.
      pointTokenEndpointAt(world, `${world.fp.url}/token`)
      const after = await world.cli(['token', 'acme'], { env: { OAUTH_CLI_LOCK_TIMEOUT_MS: '2000' } })
      expect(after.stderr).not.toMatch(/lock/)
    } finally {
      await proxy.close()
    }
  })
})

describe('a refresh holder frozen with SIGSTOP (alive) while its token request hangs', { timeout: 60_000 }, () => {
  it('keeps the lock: a second token gives up with exit 5 naming the holder and sends nothing; resumed, the holder ends at its own deadline and frees the lock', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    await loginAcme(world)
    world.fp.setAccessTokenTtl(3600)
    world.fp.injectTokenFault('hang')
    const env = { OAUTH_CLI_LOCK_STALE_MS: '300', OAUTH_CLI_REFRESH_DEADLINE_MS: '4000' }
    const holder = world.spawn(['token', 'acme'], { env })
    const until = Date.now() + 15_000
    while (spent(world).length === 0) {
      if (Date.now() > until) throw new Error('the holder never sent its refresh')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const pid = holder.child.pid!
    process.kill(pid, 'SIGSTOP')
    try {
      const waiter = await world.cli(['token', 'acme'], { env: { ...env, OAUTH_CLI_LOCK_TIMEOUT_MS: '2000' } })
      expectExit(waiter, 5)
      expect(waiter.stdout).toBe('')
      expect(waiter.stderr).toContain(`held by pid ${pid} on `)
      expect(waiter.stderr).toContain(`pid ${pid} is stopped`)
      expect(spent(world)).toHaveLength(1)
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    const ended = await holder.exited
    expectExit(ended, 5)
    expect(ended.stderr).toMatch(/did not finish within 4 s/)
    const after = await world.cli(['token', 'acme'], { env: { OAUTH_CLI_LOCK_TIMEOUT_MS: '2000' } })
    expectExit(after, 0)
    expect(after.stdout).toBe(`${world.fp.issuedAccessTokens().at(-1)}\n`)
    const [loginRefreshToken] = world.fp.issuedRefreshTokens()
    expect(spent(world)).toEqual([loginRefreshToken, loginRefreshToken])
  })
})

describe('the refresh lock and its holder (real processes, real lock files)', { timeout: 30_000 }, () => {
  it('a live holder renews its heartbeat while it holds the lock; a waiter never takes it over meanwhile', async () => {
    const { mkdtempSync, rmSync, readFileSync: read } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { createFileLocker } = await import('../../src/store/lock')
    const { systemClock } = await import('../../src/platform/clock')
    const dir = mkdtempSync(join(tmpdir(), 'oauth-cli-heartbeat-'))
    try {
      const holder = createFileLocker(dir, systemClock, { staleMs: 200 })
      const waiter = createFileLocker(dir, systemClock, { staleMs: 200, pollMs: 10, timeoutMs: 5000 })
      const beats = new Set<string>()
      let waiterIn = false
      let holderOut = false
      let enteredWaiter!: Promise<void>
      await holder.withLock('a', async () => {
        enteredWaiter = waiter.withLock('a', async () => {
          waiterIn = true
          expect(holderOut).toBe(true)
        })
        // Hold for 5× staleMs, watching the heartbeat move.
        const until = Date.now() + 1000
        while (Date.now() < until) {
          const record = JSON.parse(read(join(dir, 'a.lock'), 'utf8')) as { heartbeat_at?: string }
          if (record.heartbeat_at) beats.add(record.heartbeat_at)
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
        expect(waiterIn).toBe(false)
        holderOut = true
      })
      await enteredWaiter
      expect(waiterIn).toBe(true)
      expect(beats.size).toBeGreaterThan(3)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a holder that stopped (SIGSTOP: alive, silent) keeps its lock: the waiter gives up naming it, and never runs', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs')
    const { spawn } = await import('node:child_process')
    const { tmpdir, hostname } = await import('node:os')
    const { join } = await import('node:path')
    const { createFileLocker } = await import('../../src/store/lock')
    const { systemClock } = await import('../../src/platform/clock')
    const dir = mkdtempSync(join(tmpdir(), 'oauth-cli-frozen-'))
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    try {
      await new Promise((resolve) => child.once('spawn', resolve))
      // The child's lock, as it would have written it, with a heartbeat from a moment ago; then it freezes.
      writeFileSync(join(dir, 'a.lock'), JSON.stringify({ pid: child.pid, hostname: hostname(), created_at: new Date().toISOString(), nonce: 'frozen', heartbeat_at: new Date().toISOString() }))
      process.kill(child.pid!, 'SIGSTOP')
      let ran = false
      const failure = await createFileLocker(dir, systemClock, { staleMs: 100, pollMs: 20, timeoutMs: 1000 })
        .withLock('a', async () => (ran = true))
        .catch((e: unknown) => e)
      expect(ran).toBe(false)
      expect((failure as { kind?: string }).kind).toBe('locked')
      expect(String((failure as Error).message)).toContain(`pid ${child.pid}`)
    } finally {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
