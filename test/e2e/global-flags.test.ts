/**
 * What argv says besides the command: a word an option takes as its value is
 * never a global flag, --verbose adds a stack only to an unexpected failure,
 * and a password in a --store URL (visible in the process list) is warned about.
 */
import { describe, expect } from 'vitest'
import { expectExit, it, loginAcme, SUITE } from './world'

describe('a value that looks like a global flag', SUITE, () => {
  it.for([
    ['-d', ['-d', '--verbose']],
    ['--json', ['--json', '--verbose']],
    ['-id (switches run together)', ['-id', '--verbose']],
  ] as const)('is the value of %s, not --verbose: no trace', async ([, flags], { makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli(['call', 'acme', '/things', ...flags])
    expectExit(run, 0)
    expect(run.stdout).toContain('"body":"--verbose"')
    expect(run.stderr).not.toMatch(/^[<>*] /m)
  })
})

describe('--verbose and an expected error', SUITE, () => {
  it('prints the message and hint of "not logged in" (exit 3) without a stack trace', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['call', 'acme', '/things', '--verbose'])
    expectExit(run, 3)
    expect(run.stderr).toContain('oauth-cli login acme')
    expect(run.stderr).not.toMatch(/^\s+at /m)
    const token = await world.cli(['token', 'acme', '--verbose'])
    expectExit(token, 3)
    expect(token.stderr).not.toMatch(/^\s+at /m)
  })
})

describe('a password in --store', SUITE, () => {
  it('is warned about once on stderr, never echoed; OAUTH_CLI_STORE is not warned about', async ({ makeWorld }) => {
    const world = await makeWorld()
    // Nothing listens there: the warning comes first, whatever the store then answers.
    const url = 'postgres://ci:Sup3rS3cretPw@127.0.0.1:9/oauth'
    for (const argv of [['status', '--store', url], ['--store', url, 'token', 'acme'], ['call', 'acme', '/x', `--store=${url}`]]) {
      const run = await world.cli(argv, { env: { PGCONNECT_TIMEOUT: '2', OAUTH_CLI_PASSPHRASE: 'pass-phrase-1' } })
      expect(run.stderr.match(/process list/g), run.stderr).toHaveLength(1)
      expect(run.stderr).toContain('PGPASSWORD')
      expect(run.stderr).toContain('.pgpass')
      expect(run.stderr + run.stdout).not.toContain('Sup3rS3cretPw')
    }
    const fromEnv = await world.cli(['status'], { env: { OAUTH_CLI_STORE: url, PGCONNECT_TIMEOUT: '2', OAUTH_CLI_PASSPHRASE: 'pass-phrase-1' } })
    expect(fromEnv.stderr).not.toContain('process list')
    expect(fromEnv.stderr).not.toContain('Sup3rS3cretPw')
  })
})

