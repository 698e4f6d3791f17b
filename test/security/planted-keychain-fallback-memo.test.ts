/**
 * Attack (session 6 hunt, F3): where no keychain answers, the tool remembers
 * the fall-back in $XDG_STATE_HOME/oauth-cli/keychain-fallback.json. It was
 * written with a plain writeFileSync, so a symlink planted there (by another
 * user, in a state directory they could write) made `token` overwrite any
 * file the victim can write; a FIFO planted there hung `token` for ever. The
 * memo is now written as the tool's other private files are (a 0600 temp
 * file, O_EXCL, renamed over: never through a link), only into a directory
 * that is the user's alone, and read without blocking; a bad one is ignored.
 *
 * Tests run as root, which bypasses permission checks but not our own mode and
 * owner checks; "another user" is uid 65534.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, lchownSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sandboxCredential, securityHomes, type SecurityHome } from './support'

const OTHER_UID = 65534
const newHome = securityHomes()

/** The default store with no keychain to answer (no D-Bus session bus): the file store, and the memo of the fall-back. */
function noKeychain(home: SecurityHome): Record<string, string> {
  const runtime = join(home.home, 'runtime')
  mkdirSync(runtime, { recursive: true, mode: 0o700 })
  return { OAUTH_CLI_STORE: '', XDG_RUNTIME_DIR: runtime }
}

function stateDir(home: SecurityHome): string {
  return join(home.env.XDG_STATE_HOME!, 'oauth-cli')
}

function memo(home: SecurityHome): string {
  return join(stateDir(home), 'keychain-fallback.json')
}

/** A file of the user's that a link planted at the memo's path points at. */
function victimFile(home: SecurityHome): string {
  const victim = join(home.home, 'victim.txt')
  writeFileSync(victim, 'precious\n', { mode: 0o644 })
  return victim
}

describe.skipIf(process.platform === 'win32')('a file planted where the keychain fall-back is remembered', () => {
  it('a symlink there is replaced, never written through: the file it points at is untouched', async () => {
    const home = newHome()
    await home.plant(sandboxCredential())
    const victim = victimFile(home)
    mkdirSync(stateDir(home), { recursive: true, mode: 0o700 })
    symlinkSync(victim, memo(home))
    const run = await home.cli(['token', 'sandbox'], noKeychain(home))
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toBe('at-planted-0123456789\n')
    expect(readFileSync(victim, 'utf8')).toBe('precious\n')
    const written = lstatSync(memo(home))
    expect(written.isFile()).toBe(true)
    expect(written.mode & 0o777).toBe(0o600)
    // Remembered: the next run says nothing about the fall-back.
    const next = await home.cli(['token', 'sandbox'], noKeychain(home))
    expect(next.exitCode, next.stderr).toBe(0)
    expect(next.stderr).toBe('')
  })

  it('a state directory other users can write is left alone: nothing is written there, and one notice says how to fix it', async () => {
    const home = newHome()
    await home.plant(sandboxCredential())
    const victim = victimFile(home)
    mkdirSync(stateDir(home), { recursive: true })
    chmodSync(stateDir(home), 0o777)
    symlinkSync(victim, memo(home))
    lchownSync(memo(home), OTHER_UID, OTHER_UID)
    const run = await home.cli(['token', 'sandbox'], noKeychain(home))
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toBe('at-planted-0123456789\n')
    expect(readFileSync(victim, 'utf8')).toBe('precious\n')
    expect(lstatSync(memo(home)).isSymbolicLink()).toBe(true)
    const notices = run.stderr.split('\n').filter((line) => line.includes(stateDir(home)))
    expect(notices).toHaveLength(1)
    expect(notices[0]).toContain('writable by every user (mode 777)')
    expect(notices[0]).toContain(`chmod 700 ${stateDir(home)}`)
  })

  it('a FIFO there does not hang token: it is ignored, and replaced by the memo', async () => {
    const home = newHome()
    await home.plant(sandboxCredential())
    mkdirSync(stateDir(home), { recursive: true, mode: 0o700 })
    execFileSync('mkfifo', ['-m', '600', memo(home)])
    const run = await home.cli(['token', 'sandbox'], noKeychain(home), 15_000)
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toBe('at-planted-0123456789\n')
    expect(lstatSync(memo(home)).isFile()).toBe(true)
  })
})
