/**
 * A hint that names a command to run repeats the --store and --config the
 * failing command was given: without them the named command would use
 * another store or config file (a `login` into the keychain while `token
 * --store file` keeps looking in the file store; an `unknown provider` for a
 * provider defined only in the --config file). The fast build (a refresh the
 * provider rejects in `token` and `call`) and the full CLI say it alike.
 */
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { expectExit, it, loginAcme, SUITE, type World } from './world'

/** The world's config file at a path of its own, given with --config only (OAUTH_CLI_CONFIG unset). */
function configOnlyByFlag(world: World): string {
  const path = join(world.env.HOME!, 'my config.json')
  copyFileSync(world.env.OAUTH_CLI_CONFIG!, path)
  return path
}

describe('hints name the --store and --config of the command that failed', SUITE, () => {
  it('nothing stored: the login to run keeps --store and --config (quoted for the shell)', async ({ makeWorld }) => {
    const world = await makeWorld()
    const config = configOnlyByFlag(world)
    const run = await world.cli(['token', 'acme', '--profile', 'ci', '--store', 'file', '--config', config], { env: { OAUTH_CLI_CONFIG: '' } })
    expectExit(run, 3)
    expect(run.stderr).toContain(`run: oauth-cli login acme --profile ci --store file --config '${config}'\n`)
  })

  it.for([
    ['token', 'acme'],
    ['call', 'acme', '/things'],
    ['refresh', 'acme'],
  ])('a refresh token the provider rejected: %s names the login with --store', async (argv, { makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    await loginAcme(world)
    world.fp.revokeAllGrants()
    const run = await world.cli([...argv, '--store', 'file'])
    expectExit(run, 3)
    expect(run.stderr).toContain('run: oauth-cli login acme --store file\n')
  })

  it('without --store or --config given, the hint stays as it was', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['token', 'acme'])
    expectExit(run, 3)
    expect(run.stderr).toMatch(/run: oauth-cli login acme\n$/)
  })
})
