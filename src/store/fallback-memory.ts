/**
 * Remembers, per machine, that no OS keychain answered here, so later runs go
 * straight to the file store instead of paying the probe (issue 14) and say the
 * fall-back once instead of on every call (issue 13). Kept in a small 0600 file
 * under the state directory, valid only for the environment it was made in (the
 * D-Bus address, the XDG directories, the user) and for a day, after which the
 * keychain is asked again (one may have been installed).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const FILE = 'keychain-fallback.json'
const FALLBACK_MEMORY_MS = 24 * 3600_000
/** A keychain that only did not answer in time may answer soon: that is remembered for less. */
const TRANSIENT_FALLBACK_MEMORY_MS = 10 * 60_000

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

export function recallFallback(stateDir: string): FallbackMemory | undefined {
  try {
    const value = JSON.parse(readFileSync(join(stateDir, FILE), 'utf8')) as Partial<FallbackMemory>
    if (typeof value.fingerprint === 'string' && typeof value.reason === 'string' && typeof value.at === 'number') {
      return { fingerprint: value.fingerprint, reason: value.reason, at: value.at, transient: value.transient === true }
    }
  } catch {
    // absent or unreadable: nothing remembered
  }
  return undefined
}

/** Best effort: a state directory that cannot be written only means the probe runs again next time. */
export function rememberFallback(stateDir: string, memory: FallbackMemory): void {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 })
    writeFileSync(join(stateDir, FILE), `${JSON.stringify(memory)}\n`, { mode: 0o600 })
  } catch {
    // see above
  }
}

export function forgetFallback(stateDir: string): void {
  try {
    rmSync(join(stateDir, FILE), { force: true })
  } catch {
    // nothing to forget
  }
}
