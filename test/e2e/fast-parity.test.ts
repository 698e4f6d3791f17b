/**
 * The start-up fast build (dist/main.cjs and the fast-*.cjs it loads) against
 * the full CLI (dist/esm/main-full.js run directly, as it runs after a
 * hand-off): for every command the fast build answers, the same stdout, stderr
 * and exit code, in the states a user meets (nothing stored, logged in, a
 * default profile chosen, OAUTH_CLI_PROFILE set, an unknown provider).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { REPO_ROOT } from '../support/run-cli'
import { expectExit, it, loginAcme, SUITE, type World } from './world'

let dir: string
let fullCli: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oauth-cli-parity-'))
  fullCli = join(dir, 'full-cli.mjs')
  const mainFull = pathToFileURL(join(REPO_ROOT, 'dist', 'esm', 'main-full.js')).href
  writeFileSync(fullCli, `import { mainFull } from ${JSON.stringify(mainFull)}\nprocess.exitCode = await mainFull(process, process.argv.slice(2))\n`)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const COMMANDS = [
  ['status'],
  ['status', '--json'],
  ['status', 'acme'],
  ['status', 'acme', '--json'],
  ['status', 'nosuch'],
  ['providers'],
  ['providers', '--json'],
  ['profile'],
  ['profile', '--json'],
  ['profile', 'list'],
  ['--json', 'profile', 'list'],
  ['token', 'acme'],
  ['token', 'acme', '--json'],
]

/** Bad values for the options the fast build reads (token, the listings, call), before and after the command. */
const BAD_OPTIONS = [
  ['token', 'acme', '--min-ttl', 'abc'],
  ['token', 'acme', '--min-ttl=0'],
  ['token', 'acme', '--request-timeout', '3000000'],
  ['token', 'acme', '--store', 'bogus'],
  ['--profile', 'two words', 'token', 'acme'],
  ['status', '--profile', 'a/b'],
  ['providers', '--store=keyring'],
  ['profile', '--request-timeout', '0'],
  ['call', 'acme', '/things', '--request-timeout', 'soon'],
  ['call', 'acme', '/things', '--profile', ''],
]

async function expectSameAnswers(world: World, env: Record<string, string> = {}): Promise<void> {
  for (const argv of COMMANDS) {
    const fast = await world.cli(argv, { env })
    const full = await world.cli(argv, { env, entry: fullCli })
    expect({ argv, ...fast }).toEqual({ argv, ...full })
  }
}

describe('the fast build answers as the full CLI does', SUITE, () => {
  it('with nothing stored', async ({ makeWorld }) => {
    await expectSameAnswers(await makeWorld())
  })

  // Many runs one after another, as the bad-option case below: the same bound, for a loaded machine.
  it('logged in, with a default profile chosen, and with OAUTH_CLI_PROFILE set', { timeout: 60_000 }, async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    await loginAcme(world, ['--profile', 'work'])
    await expectSameAnswers(world)
    expectExit(await world.cli(['profile', 'use', 'acme', 'work']), 0)
    await expectSameAnswers(world)
    await expectSameAnswers(world, { OAUTH_CLI_PROFILE: 'default' })
  })

  it('words a bad option value as the full CLI does: one "is invalid: <rule>" line and the help to read, exit 2', { timeout: 60_000 }, async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    for (const argv of BAD_OPTIONS) {
      const fast = await world.cli(argv)
      const full = await world.cli(argv, { entry: fullCli })
      expect({ argv, ...fast }).toEqual({ argv, ...full })
      expectExit(fast, 2)
      expect(fast.stderr).not.toMatch(/is invalid\./)
      expect(fast.stderr).toMatch(/^oauth-cli: option '[^']+' argument '[^']*' is invalid: [a-z]/)
    }
  })

  it('prints every precomputed --help as the full command tree does', { timeout: 60_000 }, async ({ makeWorld }) => {
    const world = await makeWorld()
    // dist/help.json, which main.cjs reads only for --help: every command it holds, in each spelling.
    const keys = Object.keys(JSON.parse(readFileSync(join(REPO_ROOT, 'dist', 'help.json'), 'utf8')) as Record<string, string>)
    expect(keys).toContain('token')
    const spellings = keys.flatMap((key) => (key === '' ? [['--help'], ['-h'], ['help']] : [[key, '--help'], ['help', key]]))
    for (const argv of spellings) {
      const fast = await world.cli(argv)
      const full = await world.cli(argv, { entry: fullCli })
      expect({ argv, ...fast }).toEqual({ argv, ...full })
      expect(fast.stdout).toMatch(/^Usage: oauth-cli/)
    }
  })
})
