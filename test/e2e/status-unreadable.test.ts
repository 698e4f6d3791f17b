/**
 * `status <provider>` whose only stored item cannot be read (encrypted without
 * OAUTH_CLI_PASSPHRASE, or damaged) answers as `token` does for it, with the
 * item's own error and exit code, instead of "not logged in" (exit 3) and a
 * `login` that would be refused. Bare `status` still lists the rest (exit 0),
 * and does not call the store empty.
 */
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { expectExit, it, SUITE, type World } from './world'

async function storeStatic(world: World, env: Record<string, string> = {}): Promise<void> {
  expectExit(await world.cli(['login', 'acme', '--with-token'], { stdin: 'static-token-1234', env }), 0)
}

function credentialFile(world: World): string {
  const dir = join(world.env.XDG_DATA_HOME!, 'oauth-cli', 'credentials')
  const [name] = readdirSync(dir)
  return join(dir, name!)
}

describe('status of a credential that cannot be read', SUITE, () => {
  it('an encrypted one without OAUTH_CLI_PASSPHRASE: exit 2 saying to set it, as token does, not "not logged in"', async ({ makeWorld }) => {
    const world = await makeWorld()
    await storeStatic(world, { OAUTH_CLI_PASSPHRASE: 'the-right-one' })
    const token = await world.cli(['token', 'acme'])
    for (const argv of [['status', 'acme'], ['status', 'acme', '--json']]) {
      const run = await world.cli(argv)
      expectExit(run, 2)
      expect(run.stdout).toBe('')
      expect(run.stderr).toContain('set OAUTH_CLI_PASSPHRASE')
      expect(run.stderr).not.toContain('not logged in')
      expect(run.stderr.split('\n').filter((line) => !line.includes('warning'))).toEqual(token.stderr.split('\n'))
    }
    expectExit(token, 2)
  })

  it('a damaged one: exit 1 naming the file and logout --local, as token does', async ({ makeWorld }) => {
    const world = await makeWorld()
    await storeStatic(world)
    const file = credentialFile(world)
    writeFileSync(file, '{damaged')
    const run = await world.cli(['status', 'acme'])
    expectExit(run, 1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(file)
    expect(run.stderr).toContain('oauth-cli logout acme --local')
    expect(run.stderr).not.toContain('not logged in')
  })

  it('bare status names the unreadable item and does not say that nothing is stored (exit 0)', async ({ makeWorld }) => {
    const world = await makeWorld()
    await storeStatic(world, { OAUTH_CLI_PASSPHRASE: 'the-right-one' })
    const run = await world.cli(['status'])
    expectExit(run, 0)
    expect(run.stderr).toMatch(/warning: .*encrypted: set OAUTH_CLI_PASSPHRASE/)
    // A note, not a listing: stderr, as every human message (SPEC); stdout stays empty.
    expect(run.stdout).toBe('')
    expect(run.stderr).not.toMatch(/No stored credentials/)
    expect(run.stderr).toMatch(/No readable credentials/)
    const json = await world.cli(['status', '--json'])
    expectExit(json, 0)
    expect(JSON.parse(json.stdout)).toEqual([])
  })
})

describe('status filtered to a profile, beside an unreadable item of another profile', SUITE, () => {
  it('says that profile has nothing stored, not that nothing stored is readable (exit 0)', async ({ makeWorld }) => {
    const world = await makeWorld()
    await storeStatic(world, { OAUTH_CLI_PASSPHRASE: 'the-right-one' })
    for (const [argv, env] of [[['status', '--profile', 'work'], {}], [['status'], { OAUTH_CLI_PROFILE: 'work' }]] as const) {
      const run = await world.cli([...argv], { env })
      expectExit(run, 0)
      expect(run.stdout).toBe('')
      expect(run.stderr).toContain('No stored credentials for profile work')
      expect(run.stderr).not.toMatch(/No readable credentials/)
    }
    // The unreadable item's own profile still hears about it.
    const own = await world.cli(['status', '--profile', 'default'])
    expectExit(own, 0)
    expect(own.stderr).toMatch(/No readable credentials: one stored item could not be read/)
  })
})
