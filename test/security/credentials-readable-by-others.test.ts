/**
 * Leak (session 6 hunt, F5): credential files and their directory that every
 * user could READ (0644 in a 0755 directory: a restored backup, `cp -r`, a
 * tarball, umask-022 tooling) were used without a word, while SPEC and README
 * promise 0600 files in a 0700 directory; another user read the refresh token
 * and the client secret. The tool makes them private again (the group and
 * other bits off, as gh and gcloud do) and says so once, naming the file and
 * how to replace tokens someone may have read; nothing stored is lost.
 *
 * Tests run as root, which bypasses permission checks but not our own mode
 * checks; "another user" is nobody (uid 65534), through su.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, readFileSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sandboxCredential, securityHomes, type SecurityHome } from './support'

const newHome = securityHomes()

function modeOf(path: string): number {
  return statSync(path).mode & 0o777
}

/** Whether user nobody can read `path` (as another local user would). */
function nobodyCanRead(path: string): boolean {
  return spawnSync('su', ['nobody', '-s', '/bin/sh', '-c', `cat '${path}' >/dev/null`]).status === 0
}

/** Every directory from the temp HOME down to the credentials directory open to all, as on a machine whose umask is 022. */
function openTheWayDown(home: SecurityHome): void {
  for (let dir = home.credentialsDir; dir.startsWith(home.home); dir = dirname(dir)) chmodSync(dir, 0o755)
}

describe.skipIf(process.platform === 'win32' || process.getuid?.() !== 0)('credential files and directories other users can read', () => {
  it('a credential file every user can read (644, in a 755 directory) is made private on first use and said once; the token still works, nothing is lost', async () => {
    const home = newHome()
    await home.plant(sandboxCredential())
    openTheWayDown(home)
    chmodSync(home.fileOf('sandbox'), 0o644)
    const stored = readFileSync(home.fileOf('sandbox'), 'utf8')
    expect(nobodyCanRead(home.fileOf('sandbox'))).toBe(true)
    const run = await home.cli(['token', 'sandbox'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toBe('at-planted-0123456789\n')
    expect(run.stderr).toContain(`the credentials file ${home.fileOf('sandbox')} was readable by every user (mode 644); it is now 600`)
    expect(run.stderr).toContain('run: oauth-cli logout sandbox && oauth-cli login sandbox')
    expect(run.stderr).toContain(`the credentials directory ${home.credentialsDir} was open to every user (mode 755); it is now 700`)
    expect(run.stderr).not.toContain('rt-planted')
    expect(modeOf(home.fileOf('sandbox'))).toBe(0o600)
    expect(modeOf(home.credentialsDir)).toBe(0o700)
    expect(nobodyCanRead(home.fileOf('sandbox'))).toBe(false)
    expect(readFileSync(home.fileOf('sandbox'), 'utf8')).toBe(stored)
    const again = await home.cli(['token', 'sandbox'])
    expect(again.exitCode, again.stderr).toBe(0)
    expect(again.stderr).toBe('')
  })

  it('a group-readable credential file (640) is made 600 too, naming its group', async () => {
    const home = newHome()
    await home.plant(sandboxCredential({ profile: 'work' }))
    chmodSync(home.fileOf('sandbox', 'work'), 0o640)
    const run = await home.cli(['token', 'sandbox', '--profile', 'work'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stderr).toContain(`the credentials file ${home.fileOf('sandbox', 'work')} was readable by its group (mode 640); it is now 600`)
    expect(run.stderr).toContain('oauth-cli logout sandbox --profile work && oauth-cli login sandbox --profile work')
    expect(modeOf(home.fileOf('sandbox', 'work'))).toBe(0o600)
  })

  it('status makes them private as well and says so, and still lists the credential', async () => {
    const home = newHome()
    await home.plant(sandboxCredential())
    chmodSync(home.credentialsDir, 0o755)
    chmodSync(home.fileOf('sandbox'), 0o644)
    const status = await home.cli(['status', '--json'])
    expect(status.exitCode, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject([{ provider: 'sandbox', profile: 'default' }])
    expect(status.stderr).toContain(`the credentials file ${home.fileOf('sandbox')} was readable by every user (mode 644); it is now 600`)
    expect(status.stderr).toContain(`the credentials directory ${home.credentialsDir} was open to every user (mode 755); it is now 700`)
    expect(modeOf(home.fileOf('sandbox'))).toBe(0o600)
    expect(modeOf(home.credentialsDir)).toBe(0o700)
  })
})
