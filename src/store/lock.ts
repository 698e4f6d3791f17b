/**
 * Cross-process mutual exclusion with lock files, so that a refresh is
 * single-flight across parallel `oauth-cli` processes and a rotated refresh
 * token is never spent twice (shared/SPEC.md "Credentials").
 *
 * A lock is the file `<dir>/<name>.lock` holding `{pid, hostname, created_at,
 * nonce, heartbeat_at}`. It appears whole: the record is written to a private
 * file first and hard-linked into place, which fails when the lock exists (as
 * O_EXCL does). While it holds the lock, the holder renews `heartbeat_at` every
 * `staleMs / 4`, under the guard, by renaming a new record over its own.
 *
 * A live lock is never taken over for its age: a lock is removed only by a
 * process holding the take-over guard `<name>.lock.guard`: its holder on
 * release, or a waiter that judged the holder gone (dead on this host, or on
 * another host its heartbeat older than `staleMs`) and, under the guard, finds the lock
 * byte-identical to what it judged (a heartbeat since changes it). As nobody else can remove the lock
 * meanwhile, and every live lock carries a fresh nonce, that check cannot be
 * fooled by a lock made since. The guard is a directory renamed into place with
 * one entry named by its holder's nonce, so a stale guard is cleared by
 * unlinking exactly that entry: clearing it never harms a guard taken since.
 */
import { closeSync, fstatSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Clock } from '../platform/clock'
import { hostName } from '../platform/host-name'
import { isoTime } from '../platform/iso-time'
import { openWithoutBlocking, readOpenFile } from '../platform/trusted-file'
import { randomHex } from '../platform/unique-name'
import { encodeFileNamePart } from './codec'
import { StoreError, type Locker } from './credential-store'
import { errnoCode, mkdirPrivate, nonRegularFile, unlessMissing } from './fs-ops'
import { guardPrivateDir, insecure, type PrivateDirName } from './private-dir'

/** The file operations the locker uses; node:fs's by default (syncFs). */
export interface LockFileSystem {
  writeFile(path: string, data: string, options: { flag: 'wx'; mode: number }): Promise<void>
  link(existingPath: string, newPath: string): Promise<void>
  readFile(path: string, encoding: 'utf8'): Promise<string>
  readdir(path: string): Promise<string[]>
  rename(oldPath: string, newPath: string): Promise<void>
  unlink(path: string): Promise<void>
  mkdir(path: string, options: { recursive?: boolean; mode: number }): Promise<unknown>
  rmdir(path: string): Promise<void>
}

export interface FileLockerOptions {
  /**
   * A lock whose heartbeat is older than this is taken over when its holder
   * cannot be checked (another host) or its pid is another process's now (a
   * reused pid); a live holder on this host, frozen or not, keeps it. Its
   * holder renews the heartbeat every quarter of it. Default 20 s.
   */
  staleMs?: number
  /** Waiting longer than this for a busy lock throws StoreError('locked'). Default 45 s (a refresh's deadline is 30 s). */
  timeoutMs?: number
  /** Delay between attempts while the lock is held, plus up to half again of jitter. Default 50 ms. */
  pollMs?: number
  /** Where the file operations go; tests wrap node:fs/promises to force an interleaving. */
  fs?: LockFileSystem
}

interface LockOwner {
  pid: number
  hostname: string
  created_at: string
  /** Tells our lock from a later one at the same path, so release never removes another's. */
  nonce: string
  /** The holder's last sign of life; absent in a lock just made (then created_at counts). */
  heartbeat_at?: string
}

interface Context {
  fs: LockFileSystem
  clock: Clock
  staleMs: number
  timeoutMs: number
  pollMs: number
}

/**
 * The default file operations: node:fs's synchronous calls behind the promise
 * interface. Taking and releasing a lock is a dozen small operations on a
 * refresh's critical path; each would otherwise wait for a thread-pool round
 * trip (and node:fs/promises would have to load first). Same system calls,
 * same errors (as rejections).
 */
const syncFs: LockFileSystem = {
  writeFile: async (path, data, options) => writeFileSync(path, data, options),
  link: async (existingPath, newPath) => linkSync(existingPath, newPath),
  readFile: async (path) => readLockFile(path),
  readdir: async (path) => readdirSync(path),
  rename: async (oldPath, newPath) => renameSync(oldPath, newPath),
  unlink: async (path) => unlinkSync(path),
  mkdir: async (path, options) => mkdirSync(path, options),
  rmdir: async (path) => rmdirSync(path),
}

/**
 * A lock file's text, read without blocking and only from a regular file:
 * whatever else sits at its path (a FIFO would hang a blocking read for ever,
 * where no timer can fire, past every deadline; a symlink leads anywhere) was
 * not made by oauth-cli, and is refused at once, naming it.
 */
function readLockFile(path: string): string {
  let fd: number
  try {
    fd = openWithoutBlocking(path, true)
  } catch (err) {
    if (errnoCode(err) === 'ELOOP') throw notALock(path, { what: 'a symbolic link', rm: `rm ${path}` })
    throw err
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) throw notALock(path, nonRegularFile(stats, path))
    return readOpenFile(fd, stats.size)
  } finally {
    closeSync(fd)
  }
}

function notALock(path: string, found: { what: string; rm: string }): StoreError {
  return insecure(path, `the lock file ${path} is ${found.what}, not a lock oauth-cli made`, `if no oauth-cli is running, remove it (${found.rm})`)
}

/** The locks directory is held to the credentials directory's rule (store/private-dir.ts): whoever could write it could plant a lock. */
const LOCKS: PrivateDirName = { what: 'locks directory', base: 'XDG_DATA_HOME' }

/** A guard is held for a few file operations; one older than this was abandoned. */
const GUARD_STALE_MS = 10_000
/** How long a release waits for the guard before leaving the lock to stale detection. */
const RELEASE_GUARD_WAIT_MS = GUARD_STALE_MS + 2000
/** link() errors of file systems without hard links: create the lock in place instead. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'])
/** rename() errors meaning the guard directory is there and not empty (EPERM: Windows never replaces a directory). */
const GUARD_TAKEN = new Set(['EEXIST', 'ENOTEMPTY', 'EPERM', 'EACCES', 'EBUSY'])

/** A Locker keeping its lock files in `dir` (created 0700), timed by `clock`. */
export function createFileLocker(dir: string, clock: Clock, options: FileLockerOptions = {}): Locker {
  const ctx: Context = {
    fs: options.fs ?? syncFs,
    clock,
    staleMs: options.staleMs ?? 20_000,
    timeoutMs: options.timeoutMs ?? 45_000,
    pollMs: options.pollMs ?? 50,
  }
  // Checked once per process, before the first lock is taken (nothing in a directory another user could write is read).
  let checked = false
  return {
    async withLock(name, fn, options) {
      const path = join(dir, `${encodeFileNamePart(name)}.lock`)
      if (!checked) checked = guardPrivateDir(dir, LOCKS) !== undefined
      // The directory is made (0700) only when the first attempt finds it missing: it is there on all but the first run.
      const owner = await acquire(ctx, path, options?.beforeWait).catch(async (err: unknown) => {
        if (errnoCode((err as Error | undefined)?.cause) !== 'ENOENT') throw err
        await mkdirPrivate((path, options) => ctx.fs.mkdir(path, options), dir, (err) => ioError(dir, `cannot create ${dir}`, err))
        // What was made here passes, unless the directory above it is another user's to change (so checked too).
        checked = guardPrivateDir(dir, LOCKS) !== undefined
        return acquire(ctx, path, options?.beforeWait)
      })
      const lost = new AbortController()
      const heartbeat = startHeartbeat(ctx, path, owner, lost)
      try {
        // A live holder is never robbed of this lock; one found taken over (it was frozen past staleMs) ends the hold.
        return await fn({ signal: lost.signal, fence: owner.nonce, holder: `pid ${owner.pid} on ${owner.hostname}` })
      } finally {
        await heartbeat.stop()
        await release(ctx, path, owner)
      }
    },
  }
}

async function acquire(ctx: Context, path: string, beforeWait?: () => void): Promise<LockOwner> {
  const deadline = ctx.clock.now() + ctx.timeoutMs
  let unreadable: { text: string; since: number } | undefined
  for (;;) {
    const owner = newOwner(ctx.clock)
    if (await tryCreate(ctx.fs, path, owner)) return owner
    const text = await readIfExists(ctx.fs, path)
    if (text === undefined) continue // released between our attempt and our look
    const holder = parseOwner(text)
    // A lock with no readable owner is junk (ours appear whole): stale once it sat unchanged long enough.
    if (!holder && unreadable?.text !== text) unreadable = { text, since: ctx.clock.now() }
    const stale = holder
      ? isStale(holder, ctx.clock.now(), ctx.staleMs)
      : ctx.clock.now() - (unreadable?.since ?? ctx.clock.now()) > ctx.staleMs
    if (stale && (await removeStale(ctx, path, text, deadline))) continue
    if (ctx.clock.now() >= deadline) throw lockedError(path, ctx.timeoutMs, holder)
    beforeWait?.()
    await pause(ctx)
  }
}

function newOwner(clock: Clock): LockOwner {
  return {
    pid: process.pid,
    hostname: hostName(),
    created_at: isoTime(clock.now()),
    nonce: randomHex(8),
  }
}

/** Creates the lock whole (written aside, then linked into place): true when it is ours. */
async function tryCreate(fs: LockFileSystem, path: string, owner: LockOwner): Promise<boolean> {
  const text = JSON.stringify(owner)
  const aside = `${path}.${owner.nonce}.tmp`
  await writeExclusive(fs, aside, text)
  try {
    await fs.link(aside, path)
    return true
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false
    if (NO_HARD_LINKS.has(errnoCode(err) ?? '')) return writeExclusive(fs, path, text)
    throw ioError(path, 'cannot create the lock file', err)
  } finally {
    await fs.unlink(aside).catch(() => undefined)
  }
}

/** O_EXCL create and write: false when the file exists. */
async function writeExclusive(fs: LockFileSystem, path: string, text: string): Promise<boolean> {
  try {
    await fs.writeFile(path, text, { flag: 'wx', mode: 0o600 })
    return true
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false
    // A half-written file would make everyone wait out staleMs.
    await fs.unlink(path).catch(() => undefined)
    throw ioError(path, 'cannot write the lock file', err)
  }
}

/**
 * Gone: dead on this host, or on another host (a shared lock directory, where
 * no pid can be checked) silent (no heartbeat) for longer than staleMs. Never by
 * age alone, and never while alive on this host (SPEC "Credentials"): a frozen
 * holder (SIGSTOP, a debugger) keeps its lock, and its own refresh deadline ends
 * a stuck refresh once it runs again. Unless, silent, its pid is now another
 * process's: one started after the lock was made (the holder died, the pid was reused).
 */
function isStale(holder: LockOwner, now: number, staleMs: number): boolean {
  const lastSign = Date.parse(holder.heartbeat_at ?? holder.created_at)
  const silent = Number.isNaN(lastSign) || now - lastSign > staleMs
  if (holder.hostname !== hostName()) return silent
  if (!isAlive(holder.pid)) return true
  return silent && startedAfter(holder.pid, Date.parse(holder.created_at))
}

/** Clock ticks per second in /proc (USER_HZ), 100 on every Linux architecture user space sees. */
const USER_HZ = 100
/** Slack for /proc's whole-second boot time and ticks: a start this much after the lock is surely later. */
const START_SLACK_MS = 2000

/**
 * Whether process `pid` started after `at` (epoch ms), from Linux's /proc (its
 * start in ticks since boot, and the boot time); false when that cannot be told
 * (another OS), so a live pid is then always taken for the holder. Read only
 * by a waiter judging a silent lock, never on a holder's path.
 */
function startedAfter(pid: number, at: number): boolean {
  const started = processStartMs(pid)
  return started !== undefined && !Number.isNaN(at) && started > at + START_SLACK_MS
}

function processStartMs(pid: number): number | undefined {
  const fields = procStatFields(pid)
  const ticks = Number(fields?.[19])
  try {
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1])
    return Number.isFinite(ticks) && boot > 0 ? boot * 1000 + (ticks * 1000) / USER_HZ : undefined
  } catch {
    return undefined
  }
}

/** The fields of /proc/<pid>/stat after the command name (the state first), or undefined off Linux. */
function procStatFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** ` (pid 12 is stopped: resume it with kill -CONT 12, or end it)` for a holder on this host frozen by a signal or a debugger. */
function frozenNote(holder: LockOwner): string {
  if (holder.hostname !== hostName()) return ''
  const state = procStatFields(holder.pid)?.[0]
  return state === 'T' || state === 't'
    ? `; pid ${holder.pid} is stopped (a signal or a debugger): resume it with kill -CONT ${holder.pid}, or end it`
    : ''
}

/**
 * Renews our heartbeat every staleMs / 4 (real time: a waiter judges it by the
 * clock, and a stepping test clock must not make this spin). `stop` waits for a
 * renewal in flight, so release never races one.
 */
function startHeartbeat(ctx: Context, path: string, owner: LockOwner, lost: AbortController): { stop(): Promise<void> } {
  let inFlight: Promise<void> = Promise.resolve()
  const timer = setInterval(() => {
    inFlight = inFlight
      .then(() => renew(ctx, path, owner))
      .then((ours) => {
        if (ours === false && !lost.signal.aborted) {
          lost.abort(new StoreError('locked', path, `the lock ${path} was taken over while this process held it`))
        }
      })
      .catch(() => undefined)
  }, Math.max(10, Math.floor(ctx.staleMs / 4)))
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await inFlight
    },
  }
}

/**
 * Under the guard nobody removes or replaces the lock, so if it is still ours
 * (our nonce) a new record renamed over it cannot clobber another holder's.
 */
async function renew(ctx: Context, path: string, owner: LockOwner): Promise<boolean | undefined> {
  return withGuard(ctx, path, ctx.clock.now() + Math.floor(ctx.staleMs / 4), async () => {
    const text = await readIfExists(ctx.fs, path)
    if (text === undefined || parseOwner(text)?.nonce !== owner.nonce) return false
    const next = JSON.stringify({ ...owner, heartbeat_at: isoTime(ctx.clock.now()) } satisfies LockOwner)
    const aside = `${path}.${owner.nonce}.beat.tmp`
    await ctx.fs.unlink(aside).catch(() => undefined)
    if (!(await writeExclusive(ctx.fs, aside, next))) return true
    try {
      await ctx.fs.rename(aside, path)
    } catch {
      await ctx.fs.unlink(aside).catch(() => undefined)
    }
    return true
  })
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
 * Removes the lock judged stale, if it is still exactly that lock. Resolves true
 * to try again at once, false when the guard stayed busy past the deadline.
 */
async function removeStale(ctx: Context, path: string, staleText: string, deadline: number): Promise<boolean> {
  const done = await withGuard(ctx, path, deadline, async () => {
    // Under the guard nobody else removes the lock, so what we read stays until we unlink it.
    if ((await readIfExists(ctx.fs, path)) === staleText) await unlinkIfExists(ctx.fs, path)
    return true
  })
  return done === true
}

/** Unlinks the lock only while it is still ours: after a take-over it belongs to another. */
async function release(ctx: Context, path: string, owner: LockOwner): Promise<void> {
  try {
    await withGuard(ctx, path, ctx.clock.now() + RELEASE_GUARD_WAIT_MS, async () => {
      const text = await readIfExists(ctx.fs, path)
      if (text !== undefined && parseOwner(text)?.nonce === owner.nonce) await unlinkIfExists(ctx.fs, path)
    })
  } catch {
    // a lock we fail to remove becomes stale once this process exits
  }
}

/** Runs `fn` holding `<lock>.guard`; undefined (fn not run) when it stayed busy past the deadline. */
async function withGuard<T>(ctx: Context, path: string, deadline: number, fn: () => Promise<T>): Promise<T | undefined> {
  const guard = `${path}.guard`
  for (;;) {
    const owner = newOwner(ctx.clock)
    if (await tryPlaceGuard(ctx.fs, guard, owner)) {
      try {
        return await fn()
      } finally {
        await ctx.fs.unlink(join(guard, owner.nonce)).catch(() => undefined)
        await ctx.fs.rmdir(guard).catch(() => undefined)
      }
    }
    const cleared = await clearStaleGuard(ctx, guard)
    if (ctx.clock.now() >= deadline) return undefined
    if (!cleared) await pause(ctx)
  }
}

/**
 * Makes a directory holding one entry named by our nonce, then renames it onto
 * the guard: that fails while another guard (never empty) is in place.
 */
async function tryPlaceGuard(fs: LockFileSystem, guard: string, owner: LockOwner): Promise<boolean> {
  const staging = `${guard}.${owner.nonce}.tmp`
  const entry = join(staging, owner.nonce)
  let placed = false
  try {
    await fs.mkdir(staging, { mode: 0o700 })
    await fs.writeFile(entry, JSON.stringify(owner), { flag: 'wx', mode: 0o600 })
    await fs.rename(staging, guard)
    placed = true
  } catch (err) {
    if (!GUARD_TAKEN.has(errnoCode(err) ?? '')) throw ioError(guard, 'cannot create the lock guard', err)
  } finally {
    if (!placed) {
      await fs.unlink(entry).catch(() => undefined)
      await fs.rmdir(staging).catch(() => undefined)
    }
  }
  return placed
}

/**
 * Clears a guard whose holder is dead on this host or that is older than
 * GUARD_STALE_MS, or an empty guard directory. Resolves true when the guard
 * changed or went away, so trying again at once is worth it.
 */
async function clearStaleGuard(ctx: Context, guard: string): Promise<boolean> {
  let names: string[]
  try {
    names = await ctx.fs.readdir(guard)
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return true
    throw ioError(guard, 'cannot read the lock guard', err)
  }
  for (const name of names) {
    const text = await readIfExists(ctx.fs, join(guard, name))
    if (text === undefined) return true // released, or cleared by another waiter
    const holder = parseOwner(text)
    if (holder && !isStale(holder, ctx.clock.now(), GUARD_STALE_MS)) return false
    // Named by its holder's nonce: this removes that abandoned entry and nothing placed since.
    await unlinkIfExists(ctx.fs, join(guard, name))
  }
  // Only ever removes an empty directory, so never a guard someone holds.
  await ctx.fs.rmdir(guard).catch(() => undefined)
  return true
}

function pause(ctx: Context): Promise<void> {
  return ctx.clock.sleep(ctx.pollMs + Math.floor((Math.random() * ctx.pollMs) / 2))
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner> | null
    if (
      typeof value?.pid === 'number' &&
      typeof value.hostname === 'string' &&
      typeof value.created_at === 'string' &&
      typeof value.nonce === 'string' &&
      (value.heartbeat_at === undefined || typeof value.heartbeat_at === 'string')
    ) {
      return value as LockOwner
    }
  } catch {
    // fall through: not an owner record
  }
  return undefined
}

function lockedError(path: string, timeoutMs: number, holder: LockOwner | undefined): StoreError {
  const by = holder
    ? ` (held by pid ${holder.pid} on ${holder.hostname} since ${holder.created_at}, alive at ${holder.heartbeat_at ?? holder.created_at}${frozenNote(holder)})`
    : ''
  return new StoreError(
    'locked',
    path,
    `timed out after ${formatDuration(timeoutMs)} waiting for the lock ${path}${by}; if no oauth-cli is running, remove that file`,
  )
}

function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`
}

function readIfExists(fs: LockFileSystem, path: string): Promise<string | undefined> {
  return unlessMissing(() => fs.readFile(path, 'utf8'), undefined, (err) => ioError(path, 'cannot read the lock file', err))
}

async function unlinkIfExists(fs: LockFileSystem, path: string): Promise<void> {
  await unlessMissing(() => fs.unlink(path), undefined, (err) => ioError(path, 'cannot remove the lock file', err))
}

function ioError(path: string, what: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err
  const message = what.includes(path) ? what : `${what} ${path}`
  return new StoreError('io', path, `${message}: ${errnoCode(err) ?? String(err)}`, { cause: err })
}
