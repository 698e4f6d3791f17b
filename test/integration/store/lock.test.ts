import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import * as realFs from 'node:fs/promises'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { systemClock, type Clock } from '../../../src/platform/clock'
import { StoreError } from '../../../src/store/credential-store'
import { createFileLocker, type LockFileSystem } from '../../../src/store/lock'
import { rejectionOf } from '../../fakes'

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

/** Resolves once the kernel shows `pid` stopped (SIGSTOP is delivered when the process is next scheduled), within 5 s. */
async function stopped(pid: number): Promise<void> {
  const until = Date.now() + 5_000
  while (!/^\d+ \(.*\) T /.test(await readFile(`/proc/${pid}/stat`, 'utf8'))) {
    if (Date.now() > until) throw new Error(`pid ${pid} did not stop within 5 s`)
    await new Promise((resolve) => setImmediate(resolve))
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

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, StoreError)

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

  it('never takes over a live holder for its age alone: an old lock with a fresh heartbeat waits', async () => {
    const clock = steppingClock()
    const created_at = new Date(clock.now() - 86_400_000).toISOString()
    const heartbeat_at = new Date(clock.now() + 3600_000).toISOString()
    await plantLock('a', { pid: process.pid, hostname: hostname(), created_at, heartbeat_at, nonce: 'x' })
    let ran = false
    const err = await rejection(createFileLocker(dir, clock, { staleMs: 30_000, timeoutMs: 1000 }).withLock('a', async () => (ran = true)))
    expect(ran).toBe(false)
    expect(err.kind).toBe('locked')
  })

  it('never takes the lock from a live holder on this host however long its heartbeat is silent (SIGSTOP): the waiter gives up naming it', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    try {
      await new Promise((resolve) => child.once('spawn', resolve))
      // Its lock, made once it had started, silent for a day: it froze (SIGSTOP, a debugger) and is still alive.
      const clock = steppingClock()
      const created_at = new Date(clock.now()).toISOString()
      const path = await plantLock('a', { pid: child.pid, hostname: hostname(), created_at, heartbeat_at: created_at, nonce: 'x' })
      process.kill(child.pid!, 'SIGSTOP')
      await stopped(child.pid!)
      clock.now = ((base) => () => base() + 86_400_000)(clock.now)
      let ran = false
      const err = await rejection(createFileLocker(dir, clock, { staleMs: 300, timeoutMs: 1000, pollMs: 50 }).withLock('a', async () => (ran = true)))
      expect(ran).toBe(false)
      expect(err.kind).toBe('locked')
      expect(err.message).toContain(`held by pid ${child.pid} on ${hostname()}`)
      expect(err.message).toContain(`pid ${child.pid} is stopped`)
      expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: child.pid, nonce: 'x' })
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('takes over a silent lock whose pid is now another process (it started after the lock was made): the holder died and its pid was reused', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    try {
      await new Promise((resolve) => child.once('spawn', resolve))
      const clock = steppingClock()
      const created_at = new Date(clock.now() - 31_000).toISOString()
      await plantLock('a', { pid: child.pid, hostname: hostname(), created_at, nonce: 'x' })
      expect(await createFileLocker(dir, clock, { staleMs: 30_000 }).withLock('a', async () => 'ran')).toBe('ran')
      expect(clock.sleeps).toEqual([])
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('ends a wait for a busy lock with what beforeWait throws (a Ctrl-C), leaving the holder its lock', async () => {
    const owner = { pid: process.pid, hostname: hostname(), created_at: new Date().toISOString(), nonce: 'x' }
    const path = await plantLock('a', owner)
    const clock = steppingClock()
    let waits = 0
    const stop = new Error('interrupted')
    const beforeWait = (): void => {
      if (++waits === 3) throw stop
    }
    let ran = false
    const err = await createFileLocker(dir, clock, { pollMs: 50 }).withLock('a', async () => (ran = true), { beforeWait }).catch((e: unknown) => e)
    expect(err).toBe(stop)
    expect(ran).toBe(false)
    expect(clock.sleeps).toHaveLength(2)
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(owner)
    expect(await readdir(dir)).toEqual(['a.lock'])
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

describe('file locker take-over', () => {
  function owner(pid: number, host = hostname(), created = new Date()): Record<string, unknown> {
    return { pid, hostname: host, created_at: created.toISOString(), nonce: `n${pid}${host.length}` }
  }

  /** A take-over guard as a process leaves it: the directory with its one entry, named by its nonce. */
  async function plantGuard(lock: string, holder: Record<string, unknown>): Promise<string> {
    const guard = join(dir, `${lock}.lock.guard`)
    await mkdir(guard, { recursive: true })
    await writeFile(join(guard, String(holder.nonce)), JSON.stringify(holder))
    return guard
  }

  it('keeps a waiter that judged a lock stale from removing the lock another waiter took over meanwhile', async () => {
    // A reads a dead process's lock; before A acts, B takes that lock over and holds it. Whatever A does
    // next, a third waiter C trying after each of A's steps must never get in while B holds the lock.
    const path = await plantLock('a', owner(deadPid()))
    const order: string[] = []
    let bHolds = false
    let intrusions = 0
    let letBGo!: () => void
    const bMayGo = new Promise<void>((resolve) => (letBGo = resolve))
    let b: Promise<void> | undefined
    const startB = (): Promise<void> =>
      new Promise<void>((entered) => {
        b = createFileLocker(dir, systemClock).withLock('a', async () => {
          bHolds = true
          order.push('B in')
          entered()
          await bMayGo
          order.push('B out')
          bHolds = false
        })
      })
    const tryC = async (): Promise<void> => {
      if (!bHolds) return
      await createFileLocker(dir, systemClock, { timeoutMs: 0 })
        .withLock('a', async () => void (bHolds && intrusions++))
        .catch((err: unknown) => {
          if (!(err instanceof StoreError && err.kind === 'locked')) throw err
        })
    }
    const thenC = <A extends unknown[]>(op: (...args: A) => Promise<unknown>) =>
      async (...args: A): Promise<void> => {
        try {
          await op(...args)
        } finally {
          await tryC()
        }
      }
    const fsA: LockFileSystem = {
      ...realFs,
      readFile: async (file, encoding) => {
        const text = await realFs.readFile(file, encoding)
        if (file === path && !b) await startB()
        return text
      },
      writeFile: thenC(realFs.writeFile),
      link: thenC(realFs.link),
      rename: thenC(realFs.rename),
      unlink: thenC(realFs.unlink),
      rmdir: thenC((p: string) => realFs.rmdir(p)),
    }
    // B goes once A has looked and found the lock busy.
    const clockA: Clock = { now: () => Date.now(), sleep: (ms, signal) => (letBGo(), systemClock.sleep(ms, signal)) }
    await createFileLocker(dir, clockA, { fs: fsA, pollMs: 5 }).withLock('a', async () => void order.push('A in'))
    await b
    expect(intrusions).toBe(0)
    expect(order).toEqual(['B in', 'B out', 'A in'])
    expect(await readdir(dir)).toEqual([])
  })

  it('clears at once a take-over guard left by a process killed while holding it', async () => {
    await plantLock('a', owner(deadPid()))
    await plantGuard('a', owner(deadPid()))
    const clock = steppingClock()
    expect(await createFileLocker(dir, clock).withLock('a', async () => 'ran')).toBe('ran')
    expect(clock.sleeps).toEqual([])
    expect(await readdir(dir)).toEqual([])
  })

  it('waits for a take-over guard held on another host, and clears it once it is older than 10 s', async () => {
    await plantLock('a', owner(deadPid()))
    const clock = steppingClock()
    await plantGuard('a', owner(1, 'elsewhere', new Date(clock.now())))
    const started = clock.now()
    expect(await createFileLocker(dir, clock).withLock('a', async () => 'ran')).toBe('ran')
    expect(clock.now() - started).toBeGreaterThan(10_000)
    expect(clock.now() - started).toBeLessThan(10_200)
    expect(await readdir(dir)).toEqual([])
  })

  it('gives up with a locked error when the take-over guard stays busy past the timeout', async () => {
    const path = await plantLock('a', owner(deadPid()))
    const clock = steppingClock()
    await plantGuard('a', owner(1, 'elsewhere', new Date(clock.now())))
    const err = await rejection(createFileLocker(dir, clock, { timeoutMs: 1000 }).withLock('a', async () => 'ran'))
    expect(err.kind).toBe('locked')
    expect(err.message).toContain(path)
  })

  it('waits 45 s by default for a busy lock whose holder stays alive, then names the lock file in the locked error', async () => {
    // A heartbeat that stays fresh for the whole wait (the stepping clock does not move the holder's).
    const alive = { ...owner(1, 'elsewhere'), heartbeat_at: new Date(Date.now() + 3600_000).toISOString() }
    const path = await plantLock('a', alive)
    const clock = steppingClock()
    const started = clock.now()
    const err = await rejection(createFileLocker(dir, clock).withLock('a', async () => 'ran'))
    expect(clock.now() - started).toBeGreaterThanOrEqual(45_000)
    expect(clock.now() - started).toBeLessThan(45_100)
    expect(err.message).toMatch(/^timed out after 45 s waiting for the lock /)
    expect(err.message).toContain(`${path} (held by pid 1 on elsewhere since `)
  })

  it('creates the lock in place on a file system without hard links', async () => {
    const noLinks: LockFileSystem = {
      ...realFs,
      link: async () => Promise.reject(Object.assign(new Error('EPERM: operation not permitted'), { code: 'EPERM' })),
    }
    const seen = await createFileLocker(dir, systemClock, { fs: noLinks }).withLock('a', async () => {
      const names = await readdir(dir)
      return { names, owner: JSON.parse(await readFile(join(dir, 'a.lock'), 'utf8')) as unknown }
    })
    expect(seen.names).toEqual(['a.lock'])
    expect(seen.owner).toMatchObject({ pid: process.pid, hostname: hostname() })
    expect(await readdir(dir)).toEqual([])
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
