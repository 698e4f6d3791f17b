/**
 * Remembers, per machine, that no OS keychain answered here, so later runs go
 * straight to the file store instead of paying the probe (issue 14) and say the
 * fall-back once instead of on every call (issue 13). Kept in a small 0600 file
 * under the state directory, valid only for the environment it was made in (the
 * D-Bus address, the XDG directories, the user) and for a day, after which the
 * keychain is asked again (one may have been installed).
 *
 * It is only a memo: one that is not ours alone (another user's, writable by
 * others, a FIFO, a link) is ignored, and it is written as the tool's other
 * private files are (store/private-dir.ts), into a directory that is the
 * user's alone, never through a link planted there.
 */
import { closeSync, fstatSync, rmSync, type Stats } from 'node:fs'
import { join } from 'node:path'
import { openWithoutBlocking, othersCanWrite, readOpenFile } from '../platform/trusted-file'
import { StoreError } from './credential-store'
import { ensurePrivateDir, writePrivateFile, type PrivateDirName } from './private-dir'

const FILE = 'keychain-fallback.json'
const FALLBACK_MEMORY_MS = 24 * 3600_000
/** A keychain that only did not answer in time may answer soon: that is remembered for less. */
const TRANSIENT_FALLBACK_MEMORY_MS = 10 * 60_000
/** A memo is one line of JSON; anything bigger is not one (and is not read into memory). */
const MAX_BYTES = 64 * 1024
const STATE: PrivateDirName = { what: 'state directory', base: 'XDG_STATE_HOME' }

export interface FallbackMemory {
  /** What the environment looked like; a different one is another "machine". */
  fingerprint: string
  reason: string
  /** Epoch ms of the probe that failed. */
  at: number
  /** It timed out (rather than finding no bus or no Secret Service): remembered for less. */
  transient?: boolean
}

/** Whether a remembered fall-back still stands at `now`. */
export function stillValid(memory: FallbackMemory, now: number): boolean {
  return now - memory.at < (memory.transient ? TRANSIENT_FALLBACK_MEMORY_MS : FALLBACK_MEMORY_MS)
}

export function fingerprintOf(env: Readonly<Record<string, string | undefined>>, platform: string, uid: number | undefined): string {
  return JSON.stringify([
    platform,
    uid ?? null,
    env.DBUS_SESSION_BUS_ADDRESS ?? null,
    env.XDG_RUNTIME_DIR ?? null,
    env.XDG_DATA_HOME ?? null,
    env.XDG_STATE_HOME ?? null,
    env.HOME ?? null,
  ])
}

/**
 * The memo, read without blocking (a FIFO there opens at once) and only from a
 * regular file (not through a link) the user owns and nobody else can write:
 * the checks are on the open descriptor, with the system calls a plain read
 * makes (this is on the path of every `token` where no keychain answers).
 */
export function recallFallback(stateDir: string): FallbackMemory | undefined {
  let fd: number
  try {
    fd = openWithoutBlocking(join(stateDir, FILE), true)
  } catch {
    return undefined // absent, a link, unreadable: nothing remembered
  }
  try {
    const stats = fstatSync(fd)
    if (!isOurMemo(stats)) return undefined
    const value = JSON.parse(readOpenFile(fd, stats.size)) as Partial<FallbackMemory>
    if (typeof value.fingerprint === 'string' && typeof value.reason === 'string' && typeof value.at === 'number') {
      return { fingerprint: value.fingerprint, reason: value.reason, at: value.at, transient: value.transient === true }
    }
  } catch {
    // unreadable: nothing remembered
  } finally {
    closeSync(fd)
  }
  return undefined
}

function isOurMemo(stats: Stats): boolean {
  if (!stats.isFile() || stats.size > MAX_BYTES) return false
  // Windows has no POSIX owner or mode bits (its ACLs are left to the OS).
  if (typeof process.geteuid !== 'function' || typeof process.getegid !== 'function') return true
  return stats.uid === process.geteuid() && !othersCanWrite(stats, process.geteuid(), process.getegid())
}

/**
 * Best effort: a state directory that cannot be written only means the probe
 * runs again next time. One that is not the user's alone (another user could
 * write it, or plant a link where the memo goes) is left alone, and `notice`
 * says so once, with the fix.
 */
export async function rememberFallback(stateDir: string, memory: FallbackMemory, notice?: (line: string) => void): Promise<void> {
  try {
    ensurePrivateDir(stateDir, STATE)
    await writePrivateFile(stateDir, FILE, `${JSON.stringify(memory)}\n`)
  } catch (err) {
    if (err instanceof StoreError && err.kind === 'insecure') notice?.(`oauth-cli: the keychain fall-back is not remembered: ${err.message}`)
  }
}

export function forgetFallback(stateDir: string): void {
  try {
    rmSync(join(stateDir, FILE), { force: true })
  } catch {
    // nothing to forget
  }
}
