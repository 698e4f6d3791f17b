/**
 * The command surface as a user meets it: no arguments, help for odd names,
 * the fast path's precomputed help against the full CLI's, and timeouts that
 * end with the SPEC's exit code.
 */
import { readFileSync } from 'node:fs'
import { describe, expect } from 'vitest'
import { REPO_ROOT } from '../support/run-cli'
import { expectExit, it, SUITE } from './world'

const VERSION = (JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { version: string }).version

describe('the command surface', SUITE, () => {
  it('prints usage on stderr and exits 2 when no command is given', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli([])
    expectExit(run, 2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/^Usage: oauth-cli/m)
    expect(run.stderr).not.toMatch(/outputHelp/)
  })

  it.each([
    // `help <unknown>` is an unknown command (issue 13), prototype names included.
    [['help', 'constructor'], 2, /unknown command 'constructor'/],
    [['help', '__proto__'], 2, /unknown command '__proto__'/],
    // Like `oauth-cli bogus --help`: the root help, as commander answers it.
    [['toString', '--help'], 0, /Usage: oauth-cli/],
  ] as const)('answers %j with exit %i and %s, never with a stack trace', async (argv, code, text) => {
    const world = await (await import('./world')).createWorld()
    try {
      const run = await world.cli([...argv])
      expectExit(run, code)
      expect(`${run.stdout}${run.stderr}`).toMatch(text)
      expect(run.stderr).not.toMatch(/\n\s+at /)
    } finally {
      await world.close()
    }
  })

  it('prints the same help from the start-up fast path as from the full command tree', async ({ makeWorld }) => {
    const world = await makeWorld()
    const fast = await world.cli(['token', '--help'])
    const full = await world.cli(['token', '--help', '--no-color'])
    expectExit(fast, 0)
    expectExit(full, 0)
    expect(fast.stdout).toBe(full.stdout)
    expect(fast.stdout).toMatch(/Examples:/)
  })

  it('ends the process after its answer even when something still holds the event loop', async ({ makeWorld }) => {
    const world = await makeWorld()
    // Stands in for a keychain call abandoned after its timeout, still queued natively.
    const hold = world.home.writeExecutable('hold-loop.cjs', 'setInterval(() => {}, 60_000)\n')
    const started = Date.now()
    const run = await world.cli(['token', 'nosuch'], { env: { NODE_OPTIONS: `--require ${hold}` }, timeoutMs: 10_000 })
    expectExit(run, 2)
    expect(run.stderr).toMatch(/unknown provider "nosuch"/)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('prints the package version', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['--version'])
    expectExit(run, 0)
    expect(run.stdout).toBe(`oauth-cli ${VERSION}\n`)
  })

  it('ends a device login nobody approves at --timeout with exit 5', async ({ makeWorld }) => {
    const world = await makeWorld({ acme: (fp) => ({ device_authorization_endpoint: `${fp.url}/device` }) })
    const run = await world.cli(['login', 'acme', '--device', '--no-browser', '--timeout', '2'])
    expectExit(run, 5)
    expect(run.stderr).toMatch(/was not approved within 2 s/)
    expect(run.stderr).not.toMatch(/unexpected error/)
  })
})
