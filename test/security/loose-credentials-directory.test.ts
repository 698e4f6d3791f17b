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

  it('a private directory and file are used as before', async () => {
    const home = newHome()
    await home.plant(sandboxCredential())
    const run = await home.cli(['token', 'sandbox'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toBe('at-planted-0123456789\n')
  })
})
