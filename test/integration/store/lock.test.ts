import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { systemClock, type Clock } from '../../../src/platform/clock'
import { StoreError } from '../../../src/store/credential-store'
import { createFileLocker } from '../../../src/store/lock'

let home: string
let dir: string

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'oauth-cli-lock-'))
  dir = join(home, 'locks')
})

afterEach(async () => {
  await rm(home, { recursive: true, force: true })
})

/** A clock whose sleep advances time at once, recording each wait. */
function steppingClock(): Clock & { sleeps: number[] } {
  let now = Date.now()
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms)
      now += ms
      await new Promise((resolve) => setImmediate(resolve))
    },
  }
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''])
  if (typeof child.pid !== 'number') throw new Error('could not start a child process')
  return child.pid
}

async function plantLock(name: string, owner: Record<string, unknown> | string): Promise<string> {
  await mkdir(dir, { recursive: true })
  const path = join(dir, `${name}.lock`)
  await writeFile(path, typeof owner === 'string' ? owner : JSON.stringify(owner))
  return path
}

async function rejection(promise: Promise<unknown>): Promise<StoreError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(StoreError)
  return err as StoreError
}

/** Read-modify-write of a counter file with real awaits in between: loses updates without mutual exclusion. */
async function incrementSlowly(file: string, track: { inside: number; most: number }): Promise<void> {
  track.inside++
  track.most = Math.max(track.most, track.inside)
  const value = Number(await readFile(file, 'utf8').catch(() => '0'))
  await new Promise((resolve) => setTimeout(resolve, 2))
  await writeFile(file, String(value + 1))
  track.inside--
}

describe('file locker', () => {
  it('serialises concurrent holders so that no update is lost', async () => {
    const counter = join(home, 'counter')
    const track = { inside: 0, most: 0 }
    await Promise.all(
      Array.from({ length: 8 }, () =>
        createFileLocker(dir, systemClock, { pollMs: 5 }).withLock('refresh:livechat:default', () =>
          incrementSlowly(counter, track),
        ),
      ),
    )
    expect(await readFile(counter, 'utf8')).toBe('8')
    expect(track.most).toBe(1)
    expect(await readdir(dir)).toEqual([])
  })

  it('holds an O_EXCL lock file naming this process while fn runs, then removes it', async () => {
    const locker = createFileLocker(dir, systemClock)
    const seen = await locker.withLock('refresh:livechat:default', async () => {
      const names = await readdir(dir)
      return { names, owner: JSON.parse(await readFile(join(dir, names[0] ?? ''), 'utf8')) as unknown }
    })
    expect(seen.names).toEqual(['refresh%3Alivechat%3Adefault.lock'])
    expect(seen.owner).toMatchObject({ pid: process.pid, hostname: hostname() })
    expect(Date.parse((seen.owner as { created_at: string }).created_at)).not.toBeNaN()
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    expect(await readdir(dir)).toEqual([])
  })

  it('returns what fn returns, and releases the lock when fn throws', async () => {
    const locker = createFileLocker(dir, systemClock)
    expect(await locker.withLock('a', async () => 42)).toBe(42)
    await expect(locker.withLock('a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await readdir(dir)).toEqual([])
  })

  it('takes over at once a lock held by a dead process on this host', async () => {
    await plantLock('a', { pid: deadPid(), hostname: hostname(), created_at: new Date().toISOString(), nonce: 'x' })
    const clock = steppingClock()
    expect(await createFileLocker(dir, clock).withLock('a', async () => 'ran')).toBe('ran')
    expect(clock.sleeps).toEqual([])
    expect(await readdir(dir)).toEqual([])
  })

  it('takes over a lock older than staleMs even when its holder is alive', async () => {
    const clock = steppingClock()
    const created_at = new Date(clock.now() - 31_000).toISOString()
    await plantLock('a', { pid: process.pid, hostname: hostname(), created_at, nonce: 'x' })
    expect(await createFileLocker(dir, clock, { staleMs: 30_000 }).withLock('a', async () => 'ran')).toBe('ran')
    expect(clock.sleeps).toEqual([])
  })

  it('waits for a fresh lock of a live holder on another host, then gives up with a locked error', async () => {
    const owner = { pid: 1, hostname: 'elsewhere', created_at: new Date().toISOString(), nonce: 'x' }
    const path = await plantLock('a', owner)
    const clock = steppingClock()
    const locker = createFileLocker(dir, clock, { timeoutMs: 1000, staleMs: 60_000, pollMs: 50 })
    let ran = false
    const err = await rejection(locker.withLock('a', async () => (ran = true)))
    expect(ran).toBe(false)
    expect(err.kind).toBe('locked')
    expect(err.location).toBe(path)
    expect(err.message).toContain(path)
    expect(err.message).toContain('if no oauth-cli is running, remove that file')
    expect(clock.sleeps.length).toBeGreaterThan(5)
    expect(clock.sleeps.every((ms) => ms >= 50 && ms < 75)).toBe(true)
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(owner)
  })

  it('takes over a lock file with no readable owner only once it stayed unchanged past staleMs', async () => {
    await plantLock('a', '')
    const clock = steppingClock()
    const started = clock.now()
    await createFileLocker(dir, clock, { staleMs: 500, pollMs: 50 }).withLock('a', async () => undefined)
    expect(clock.now() - started).toBeGreaterThan(500)
    expect(clock.now() - started).toBeLessThan(700)
  })

  it('lets exactly one of many waiters take over a stale lock at a time', async () => {
    await plantLock('a', { pid: deadPid(), hostname: hostname(), created_at: new Date().toISOString(), nonce: 'x' })
    const counter = join(home, 'counter')
    const track = { inside: 0, most: 0 }
    await Promise.all(
      Array.from({ length: 8 }, () =>
        createFileLocker(dir, systemClock, { pollMs: 5 }).withLock('a', () => incrementSlowly(counter, track)),
      ),
    )
    expect(await readFile(counter, 'utf8')).toBe('8')
    expect(track.most).toBe(1)
    expect(await readdir(dir)).toEqual([])
  })

  it('does not remove a lock that another process took over while fn ran', async () => {
    const path = join(dir, 'a.lock')
    const theirs = JSON.stringify({ pid: 1, hostname: 'elsewhere', created_at: new Date().toISOString(), nonce: 'y' })
    await createFileLocker(dir, systemClock).withLock('a', async () => {
      await writeFile(path, theirs)
    })
    expect(await readFile(path, 'utf8')).toBe(theirs)
  })
})

describe('file locker across processes', () => {
  /** Bundles a worker that takes the lock `rounds` times in a real child process, each time incrementing a counter file. */
  async function buildWorker(): Promise<string> {
    const entry = join(home, 'worker-entry.ts')
    const src = (path: string): string => JSON.stringify(fileURLToPath(new URL(`../../../src/${path}`, import.meta.url)))
    await writeFile(
      entry,
      `import { createFileLocker } from ${src('store/lock.ts')}
import { systemClock } from ${src('platform/clock.ts')}
import { readFile, writeFile } from 'node:fs/promises'
const [dir, counter, rounds] = process.argv.slice(2)
const locker = createFileLocker(dir, systemClock, { pollMs: 5 })
for (let i = 0; i < Number(rounds); i++) {
  await locker.withLock('refresh:tidio:default', async () => {
    const value = Number(await readFile(counter, 'utf8').catch(() => '0'))
    await new Promise((resolve) => setTimeout(resolve, 2))
    await writeFile(counter, String(value + 1))
  })
}
`,
    )
    const outfile = join(home, 'worker.mjs')
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'silent' })
    return outfile
  }

  function run(worker: string, args: string[]): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [worker, ...args], { stdio: ['ignore', 'ignore', 'inherit'] })
      child.once('error', reject)
      child.once('exit', resolve)
    })
  }

  it('keeps three processes from losing each other\'s updates', async () => {
    const worker = await buildWorker()
    const counter = join(home, 'counter')
    const codes = await Promise.all([1, 2, 3].map(() => run(worker, [dir, counter, '5'])))
    expect(codes).toEqual([0, 0, 0])
    expect(await readFile(counter, 'utf8')).toBe('15')
    expect(await readdir(dir)).toEqual([])
  })
})
