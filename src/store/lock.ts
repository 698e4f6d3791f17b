/**
 * Cross-process mutual exclusion with lock files, so that a refresh is
 * single-flight across parallel `oauth-cli` processes and a rotated refresh
 * token is never spent twice (shared/SPEC.md "Credentials").
 *
 * A lock is `<dir>/<name>.lock`, created with O_EXCL and holding
 * `{pid, hostname, created_at, nonce}`. A lock whose holder is a dead process on
 * this host, or that is older than `staleMs`, is taken over.
 */
import { randomBytes } from 'node:crypto'
import { link, mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '../platform/clock'
import { encodeFileNamePart } from './codec'
import { StoreError, type Locker } from './credential-store'

export interface FileLockerOptions {
  /** A lock older than this is taken over even if its holder seems alive. Default 30 s. */
  staleMs?: number
  /** Waiting longer than this throws StoreError('locked'). Default 60 s. */
  timeoutMs?: number
  /** Delay between attempts while the lock is held, plus up to half again of jitter. Default 50 ms. */
  pollMs?: number
}

interface LockOwner {
  pid: number
  hostname: string
  created_at: string
  /** Tells our lock from a later one at the same path, so release never removes another's. */
  nonce: string
}

interface Settings {
  staleMs: number
  timeoutMs: number
  pollMs: number
}

/** A Locker keeping its lock files in `dir` (created 0700), timed by `clock`. */
export function createFileLocker(dir: string, clock: Clock, options: FileLockerOptions = {}): Locker {
  const settings: Settings = {
    staleMs: options.staleMs ?? 30_000,
    timeoutMs: options.timeoutMs ?? 60_000,
    pollMs: options.pollMs ?? 50,
  }
  return {
    async withLock(name, fn) {
      const path = join(dir, `${encodeFileNamePart(name)}.lock`)
      await mkdirPrivate(dir)
      const owner = await acquire(path, clock, settings)
      try {
        return await fn()
      } finally {
        await release(path, owner)
      }
    },
  }
}

async function acquire(path: string, clock: Clock, settings: Settings): Promise<LockOwner> {
  const deadline = clock.now() + settings.timeoutMs
  let unreadable: { text: string; since: number } | undefined
  for (;;) {
    const owner: LockOwner = {
      pid: process.pid,
      hostname: hostname(),
      created_at: new Date(clock.now()).toISOString(),
      nonce: randomBytes(8).toString('hex'),
    }
    if (await tryCreate(path, owner)) return owner
    const text = await readIfExists(path)
    if (text === undefined) continue // released between our attempt and our look
    const holder = parseOwner(text)
    // A lock with no readable owner is still being written, or junk: stale once it sat unchanged long enough.
    if (!holder && unreadable?.text !== text) unreadable = { text, since: clock.now() }
    const stale = holder
      ? isStale(holder, clock.now(), settings.staleMs)
      : clock.now() - (unreadable?.since ?? clock.now()) > settings.staleMs
    if (stale && (await removeStale(path, text))) continue
    if (clock.now() >= deadline) throw lockedError(path, settings.timeoutMs, holder)
    await clock.sleep(settings.pollMs + Math.floor((Math.random() * settings.pollMs) / 2))
  }
}

/** O_EXCL create: true when the lock is ours. */
async function tryCreate(path: string, owner: LockOwner): Promise<boolean> {
  let handle: FileHandle
  try {
    handle = await open(path, 'wx', 0o600)
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false
    throw new StoreError('io', path, `cannot create the lock file ${path}: ${errnoCode(err) ?? String(err)}`, {
      cause: err,
    })
  }
  try {
    await handle.writeFile(JSON.stringify(owner), 'utf8')
    await handle.close()
  } catch (err) {
    await handle.close().catch(() => undefined)
    // An empty lock file would make everyone wait out staleMs.
    await unlink(path).catch(() => undefined)
    throw new StoreError('io', path, `cannot write the lock file ${path}: ${errnoCode(err) ?? String(err)}`, {
      cause: err,
    })
  }
  return true
}

function isStale(holder: LockOwner, now: number, staleMs: number): boolean {
  if (holder.hostname === hostname() && !isAlive(holder.pid)) return true
  const created = Date.parse(holder.created_at)
  return Number.isNaN(created) || now - created > staleMs
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return errnoCode(err) !== 'ESRCH'
  }
}

/**
 * Race-safe take-over: moves the lock aside under a unique name, so that of two
 * waiters that judged it stale only one removes it. If what was moved is not the
 * stale lock we looked at (a waiter took over and locked in between), it is put
 * back with link(), which fails rather than replace a lock made meanwhile.
 * Resolves false when the lock could not be moved at all.
 */
async function removeStale(path: string, staleText: string): Promise<boolean> {
  const aside = `${path}.${randomBytes(6).toString('hex')}.stale`
  try {
    await rename(path, aside)
  } catch (err) {
    // ENOENT: another waiter moved it first, so try again at once; anything else: wait as if held.
    return errnoCode(err) === 'ENOENT'
  }
  const moved = await readIfExists(aside)
  if (moved !== staleText) await link(aside, path).catch(() => undefined)
  await unlink(aside).catch(() => undefined)
  return true
}

/** Unlinks the lock only while it is still ours: after a take-over it belongs to another. */
async function release(path: string, owner: LockOwner): Promise<void> {
  try {
    const text = await readIfExists(path)
    if (text !== undefined && parseOwner(text)?.nonce === owner.nonce) await unlink(path)
  } catch {
    // a lock we fail to remove becomes stale once this process exits
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner> | null
    if (
      typeof value?.pid === 'number' &&
      typeof value.hostname === 'string' &&
      typeof value.created_at === 'string' &&
      typeof value.nonce === 'string'
    ) {
      return value as LockOwner
    }
  } catch {
    // fall through: not an owner record
  }
  return undefined
}

function lockedError(path: string, timeoutMs: number, holder: LockOwner | undefined): StoreError {
  const by = holder ? ` (held by pid ${holder.pid} on ${holder.hostname} since ${holder.created_at})` : ''
  return new StoreError(
    'locked',
    path,
    `timed out after ${formatDuration(timeoutMs)} waiting for the lock ${path}${by}; if no oauth-cli is running, remove that file`,
  )
}

function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`
}

async function mkdirPrivate(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new StoreError('io', dir, `cannot create ${dir}: ${errnoCode(err) ?? String(err)}`, { cause: err })
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined
    throw new StoreError('io', path, `cannot read the lock file ${path}: ${errnoCode(err) ?? String(err)}`, {
      cause: err,
    })
  }
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code
}
