/**
 * Attack (session 6 hunt, F4): the refresh lock's directory escaped the rule
 * the credentials directory is held to. A locks directory at 0777, or a
 * symlink to a directory another user owns, was used, so another local user
 * could plant anything as the lock file; a FIFO planted there hung every
 * refresh for ever (the lock file was read with a blocking read, where no
 * timer can fire), past the lock wait and the refresh deadline. The locks
 * directory is now checked as the credentials directory is (one check), and
 * a lock file that is not a regular file is refused at once, naming it.
 *
 * Tests run as root, which bypasses permission checks but not our own mode and
 * owner checks; "another user" is uid 65534.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { refreshLockName } from '../../src/session/save-issued'
import { encodeFileNamePart } from '../../src/store/codec'
import { expectExit, it, loginAcme, tokenRequests, type MakeWorld, type World } from '../e2e/world'

const OTHER_UID = 65534

function locksDir(world: World): string {
  return join(world.home.env.XDG_DATA_HOME!, 'oauth-cli', 'locks')
}

function refreshesSent(world: World): number {
  return tokenRequests(world.fp).filter((r) => r.params.get('grant_type') === 'refresh_token').length
}

/** A login whose access token is already due, so the next `token` refreshes (under the lock). */
async function dueForRefresh(makeWorld: MakeWorld): Promise<World> {
  const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
  await loginAcme(world)
  return world
}

describe.skipIf(process.platform === 'win32')('a locks directory or lock file others could have planted', { timeout: 60_000 }, () => {
  it('a world-writable locks directory is refused before any refresh is sent, with chmod 700 as the fix', async ({ makeWorld }) => {
    const world = await dueForRefresh(makeWorld)
    mkdirSync(locksDir(world), { recursive: true })
    chmodSync(locksDir(world), 0o777)
    const run = await world.cli(['token', 'acme'])
    expectExit(run, 2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(`${locksDir(world)} is writable by every user (mode 777)`)
    expect(run.stderr).toContain(`chmod 700 ${locksDir(world)}`)
    expect(refreshesSent(world)).toBe(0)
  })

  it('a locks directory that is a symlink to a directory another user owns is refused', async ({ makeWorld }) => {
    const world = await dueForRefresh(makeWorld)
    const theirs = join(world.home.home, 'theirs')
    mkdirSync(theirs, { mode: 0o700 })
    chownSync(theirs, OTHER_UID, OTHER_UID)
    mkdirSync(join(locksDir(world), '..'), { recursive: true })
    if (existsSync(locksDir(world))) execFileSync('rm', ['-r', locksDir(world)])
    symlinkSync(theirs, locksDir(world))
    const run = await world.cli(['token', 'acme'])
    expectExit(run, 2)
    expect(run.stderr).toContain(`the locks directory ${locksDir(world)} is owned by uid ${OTHER_UID}`)
    expect(refreshesSent(world)).toBe(0)
  })

  it('a FIFO in place of the lock file ends the refresh at once, naming the file and how to remove it, instead of hanging', async ({ makeWorld }) => {
    const world = await dueForRefresh(makeWorld)
    mkdirSync(locksDir(world), { recursive: true, mode: 0o700 })
    const lock = join(locksDir(world), `${encodeFileNamePart(refreshLockName({ provider: 'acme', profile: 'default' }))}.lock`)
    execFileSync('mkfifo', ['-m', '600', lock])
    const run = await world.cli(['token', 'acme'], { timeoutMs: 15_000 })
    expectExit(run, 2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(`the lock file ${lock} is a FIFO`)
    expect(run.stderr).toContain(`rm ${lock}`)
    expect(refreshesSent(world)).toBe(0)
    // The stored refresh token was not touched: once the FIFO is gone, the refresh works.
    execFileSync('rm', [lock])
    expectExit(await world.cli(['token', 'acme']), 0)
    expect(refreshesSent(world)).toBe(1)
  })
})
