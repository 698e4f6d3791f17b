/**
 * Attack (issue 10 item 8): the disk holding the credentials is full. A refresh
 * must not spend a rotating refresh token it then cannot store: the store is
 * checked first. If the write still fails (the new tokens are larger than the
 * room the check found), they are not dropped: they go to an emergency 0600
 * file named on stderr, never to stderr itself.
 *
 * A real full file system: a small tmpfs mounted over the credentials
 * directory and filled up (needs root with CAP_SYS_ADMIN, as here and in CI).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { decodeBundle } from '../../src/session/bundle'
import { expectExit, grantTypes, it, last, loginAcme, SUITE, type World } from '../e2e/world'

function canMount(): boolean {
  const probe = `/tmp/oauth-cli-mount-probe-${process.pid}`
  mkdirSync(probe, { recursive: true })
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' })
    execFileSync('umount', [probe], { stdio: 'ignore' })
    return true
  } catch {
    return false
  } finally {
    rmSync(probe, { recursive: true, force: true })
  }
}
const MOUNTABLE = canMount()

/** Moves the stored files onto a tmpfs of `size` bytes at the credentials dir, then fills it to leave `free` bytes. */
function fillCredentialsDisk(world: World, size: number, free: number): () => void {
  const dir = join(world.env.XDG_DATA_HOME!, 'oauth-cli', 'credentials')
  const aside = `${dir}.aside`
  renameSync(dir, aside)
  mkdirSync(dir, { mode: 0o700 })
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir])
  for (const name of readdirSync(aside)) writeFileSync(join(dir, name), readFileSync(join(aside, name)), { mode: 0o600 })
  const used = Number(execFileSync('df', ['--output=avail', '-B1', dir]).toString().split('\n')[1])
  if (used > free) {
    try {
      writeFileSync(join(dir, '.filler'), Buffer.alloc(used - free))
    } catch {
      // ENOSPC: full, which is the point
    }
  }
  return () => {
    // What the run left (minus the filler) goes back to the real directory.
    for (const name of readdirSync(dir)) {
      if (name !== '.filler') writeFileSync(join(aside, name), readFileSync(join(dir, name)), { mode: 0o600 })
    }
    execFileSync('umount', [dir])
    rmSync(dir, { recursive: true, force: true })
    renameSync(aside, dir)
  }
}

/**
 * `refresh` (the full CLI), and `token` with a stale token (the start-up fast
 * build refreshes it: cli/fast-refresh.ts). The stored token is made stale
 * by logging in while the provider issues tokens already expired.
 */
const COMMANDS = [['refresh'], ['token']] as const

async function loggedIn(makeWorld: (options?: object) => Promise<World>, command: string): Promise<World> {
  const world = await makeWorld(command === 'token' ? { provider: { accessTokenTtl: 0 } } : {})
  await loginAcme(world)
  world.fp.setAccessTokenTtl(3600)
  return world
}

describe.skipIf(!MOUNTABLE)('a refresh when the credentials disk is full', SUITE, () => {
  it.for(COMMANDS)('%s does not spend the refresh token when the store cannot be written, and says why', async ([command], { makeWorld }) => {
    const world = await loggedIn(makeWorld, command)
    const release = fillCredentialsDisk(world, 64 * 1024, 0)
    try {
      const run = await world.cli([command, 'acme'])
      expectExit(run, 1)
      expect(run.stderr).toMatch(/no space left|ENOSPC/i)
      expect(run.stderr).toMatch(/not (refreshed|spent)|before refreshing/i)
      expect(grantTypes(world.fp)).not.toContain('refresh_token')
    } finally {
      release()
    }
    // Nothing was spent: once there is room, the refresh works.
    expectExit(await world.cli(['refresh', 'acme']), 0)
  })

  it.for(COMMANDS)('%s writes new tokens it cannot store to an emergency 0600 file it names, never to stderr', async ([command], { makeWorld }) => {
    const world = await loggedIn(makeWorld, command)
    // Larger than the room the check needed for the old credential.
    const big = `at-big-${'x'.repeat(40_000)}`
    world.fp.injectTokenFault({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ access_token: big, refresh_token: 'rt-rotated-once', token_type: 'Bearer', expires_in: 3600 }),
    })
    const release = fillCredentialsDisk(world, 64 * 1024, 12 * 1024)
    let run
    try {
      run = await world.cli([command, 'acme'])
    } finally {
      release()
    }
    expectExit(run, 1)
    expect(run.stdout).toBe('')
    expect(run.stderr).not.toContain('rt-rotated-once')
    expect(run.stderr).not.toContain('at-big-')
    const named = /written to (\S+?) \(/.exec(run.stderr)?.[1]
    expect(named, run.stderr).toBeDefined()
    expect(statSync(named!).mode & 0o777).toBe(0o600)
    const decoded = decodeBundle(readFileSync(named!, 'utf8'))
    expect(decoded.ok && decoded.credential.refresh_token).toBe('rt-rotated-once')
    expect(run.stderr).toContain('oauth-cli import')
    // And the way back works.
    const imported = await world.cli(['import'], { stdin: readFileSync(named!, 'utf8') })
    expectExit(imported, 0)
    expect((await world.cli(['token', 'acme'])).stdout).toBe(`${big}\n`)
  })
})

describe.skipIf(!MOUNTABLE)('a login when the credentials disk is full', SUITE, () => {
  it('keeps the tokens the provider issued in an emergency 0600 file it names, and leaves the old credential', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const before = (await world.cli(['token', 'acme'])).stdout
    const release = fillCredentialsDisk(world, 64 * 1024, 0)
    let run
    try {
      run = await world.cli(['login', 'acme'])
    } finally {
      release()
    }
    expectExit(run, 1)
    const issued = last(world.fp.issuedAccessTokens())
    expect(`${issued}\n`).not.toBe(before)
    expect(run.stderr).not.toContain(issued)
    const named = /written to (\S+?) \(/.exec(run.stderr)?.[1]
    expect(named, run.stderr).toBeDefined()
    expect(statSync(named!).mode & 0o777).toBe(0o600)
    const decoded = decodeBundle(readFileSync(named!, 'utf8'))
    expect(decoded.ok && decoded.credential.access_token).toBe(issued)
    // The failed login left the stored credential as it was.
    expect((await world.cli(['token', 'acme'])).stdout).toBe(before)
  })
})
