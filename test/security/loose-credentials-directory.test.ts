/**
 * Attack (issue 10 item 10): a pre-existing credentials directory with mode 0777
 * (or a symlink to one) was written into, and another local user planted a token
 * file the victim then sent. A directory or file another user could write, or
 * that the user does not own, is refused with how to fix it, and never read.
 *
 * Tests run as root, which bypasses permission checks but not our own mode and
 * owner checks; "another user" is uid 65534.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, renameSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sandboxCredential, securityHomes } from './support'

const OTHER_UID = 65534
const newHome = securityHomes()

const PLANTED = sandboxCredential({ access_token: 'at-planted-by-another-user' })

function expectRefused(run: { exitCode: number | null; stdout: string; stderr: string }, path: string, fix: RegExp): void {
  expect(run.exitCode, run.stderr).toBe(2)
  expect(run.stdout).not.toContain('at-planted-by-another-user')
  expect(run.stderr).toContain(path)
  expect(run.stderr).toMatch(fix)
}

/** The stored token is printed, and nothing is said about the directories on the way. */
function expectUsed(run: { exitCode: number | null; stdout: string; stderr: string }): void {
  expect(run.stderr).toBe('')
  expect(run.exitCode).toBe(0)
  expect(run.stdout).toBe('at-planted-0123456789\n')
}

describe.skipIf(process.platform === 'win32')('a credentials directory or file others could write', () => {
  it('a world-writable credentials directory is refused, with chmod 700 as the fix', async () => {
    const home = newHome()
    await home.plant(PLANTED)
    chmodSync(home.credentialsDir, 0o777)
    expectRefused(await home.cli(['token', 'sandbox']), home.credentialsDir, /chmod 700/)
    expectRefused(await home.cli(['status']), home.credentialsDir, /chmod 700/)
  })

  it('a group-writable credentials directory is refused', async () => {
    const home = newHome()
    await home.plant(PLANTED)
    chmodSync(home.credentialsDir, 0o770)
    expectRefused(await home.cli(['token', 'sandbox']), home.credentialsDir, /chmod 700/)
  })

  it('nothing is written into a loose credentials directory', async () => {
    const home = newHome()
    mkdirSync(home.credentialsDir, { recursive: true })
    chmodSync(home.credentialsDir, 0o777)
    const run = await home.cli(['login', 'sandbox', '--with-token'], {}, 20_000, 'tok-from-stdin-123\n')
    expectRefused(run, home.credentialsDir, /chmod 700/)
    expect(readdirSync(home.credentialsDir)).toEqual([])
  })

  it('a credentials directory reached through a symlink to a 0777 directory is refused', async () => {
    const home = newHome()
    await home.plant(PLANTED)
    const shared = join(home.home, 'shared-tmp')
    renameSync(home.credentialsDir, shared)
    chmodSync(shared, 0o777)
    symlinkSync(shared, home.credentialsDir)
    expectRefused(await home.cli(['token', 'sandbox']), home.credentialsDir, /chmod 700/)
  })

  it('a credentials directory owned by another user is refused', async () => {
    const home = newHome()
    await home.plant(PLANTED)
    chownSync(home.credentialsDir, OTHER_UID, OTHER_UID)
    expectRefused(await home.cli(['token', 'sandbox']), home.credentialsDir, /not owned by you|owned by uid/)
  })

  it('a credential file planted by another user is never read', async () => {
    const home = newHome()
    await home.plant(PLANTED)
    chownSync(home.fileOf('sandbox'), OTHER_UID, OTHER_UID)
    expectRefused(await home.cli(['token', 'sandbox']), home.fileOf('sandbox'), /owned by uid 65534|not owned by you/)
    expectRefused(await home.cli(['call', 'sandbox', '/items']), home.fileOf('sandbox'), /owned by uid 65534|not owned by you/)
  })

  it('a group- or world-writable credential file is refused, with chmod 600 as the fix', async () => {
    const home = newHome()
    await home.plant(PLANTED)
    chmodSync(home.fileOf('sandbox'), 0o666)
    expectRefused(await home.cli(['token', 'sandbox']), home.fileOf('sandbox'), /chmod 600/)
    expect(existsSync(home.fileOf('sandbox'))).toBe(true)
  })

  it('a credentials directory reached through a world-writable directory above it is refused, naming that directory', async () => {
    const home = newHome()
    await home.plant(PLANTED)
    // Whoever can write $XDG_DATA_HOME can move oauth-cli/ away and put their own in its place.
    chmodSync(home.env.XDG_DATA_HOME!, 0o777)
    expectRefused(await home.cli(['token', 'sandbox']), home.env.XDG_DATA_HOME!, /chmod go-w/)
    expectRefused(await home.cli(['status']), home.env.XDG_DATA_HOME!, /writable by every user/)
  })

  it('a data directory above the credentials directory that another group can write is refused', async () => {
    const home = newHome()
    await home.plant(PLANTED)
    chownSync(home.dataDir, process.getuid!(), OTHER_UID)
    chmodSync(home.dataDir, 0o770)
    expectRefused(await home.cli(['token', 'sandbox']), home.dataDir, /writable by its group/)
  })

  it('a directory above that only the user\'s own primary group can write is accepted (umask 002, as on Fedora: ~/.local/share 0775)', async () => {
    const home = newHome()
    await home.plant(sandboxCredential())
    chownSync(home.env.XDG_DATA_HOME!, process.getuid!(), process.getgid!())
    chmodSync(home.env.XDG_DATA_HOME!, 0o775)
    expectUsed(await home.cli(['token', 'sandbox']))
  })

  it('a directory above owned by another user is refused', async () => {
    const home = newHome()
    await home.plant(PLANTED)
    chownSync(home.dataDir, OTHER_UID, OTHER_UID)
    expectRefused(await home.cli(['token', 'sandbox']), home.dataDir, /owned by uid 65534/)
  })

  it('a world-writable directory above the real path of a linked credentials directory is refused', async () => {
    const home = newHome()
    await home.plant(PLANTED)
    // The link and the directory it leads to are private; the directory holding the latter is not.
    const loose = join(home.home, 'loose')
    mkdirSync(loose, { mode: 0o700 })
    renameSync(home.credentialsDir, join(loose, 'credentials'))
    symlinkSync(join(loose, 'credentials'), home.credentialsDir)
    chmodSync(loose, 0o777)
    expectRefused(await home.cli(['token', 'sandbox']), loose, /writable by every user/)
  })

  it('nothing is written under a world-writable directory above', async () => {
    const home = newHome()
    mkdirSync(home.credentialsDir, { recursive: true, mode: 0o700 })
    chmodSync(home.env.XDG_DATA_HOME!, 0o777)
    const run = await home.cli(['login', 'sandbox', '--with-token'], {}, 20_000, 'tok-from-stdin-123\n')
    expectRefused(run, home.env.XDG_DATA_HOME!, /chmod go-w/)
    expect(readdirSync(home.credentialsDir)).toEqual([])
  })

  it('a sticky world-writable directory above (as /tmp) is accepted: others cannot rename what is not theirs', async () => {
    const home = newHome()
    await home.plant(sandboxCredential())
    chmodSync(home.env.XDG_DATA_HOME!, 0o1777)
    expectUsed(await home.cli(['token', 'sandbox']))
  })

  it('a private directory and file are used as before', async () => {
    const home = newHome()
    await home.plant(sandboxCredential())
    const run = await home.cli(['token', 'sandbox'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toBe('at-planted-0123456789\n')
  })
})
