/**
 * Bug hunt (session 6, F12): a write to stdout that fails for a reason other
 * than a reader that went away (a full disk, `> /dev/full`) was dropped, and the
 * command exited 0: `oauth-cli token x > token.txt` on a full disk left an
 * empty file and said success, and a script went on with no token. Now it is
 * exit 1 naming the failure, in the fast build and the full CLI alike (a
 * reader that went away still ends quietly: process-boundary.test.ts).
 */
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CLI_BIN, testPath } from '../support/run-cli'
import { sandboxCredential, securityHomes } from '../security/support'

const newHome = securityHomes()

/** Runs the built CLI with stdout on /dev/full (every write fails with ENOSPC). */
function runIntoFullDisk(args: string[], env: Record<string, string>): { status: number | null; stderr: string } {
  const full = openSync('/dev/full', 'w')
  try {
    const run = spawnSync(process.execPath, [CLI_BIN, ...args], { env: { PATH: testPath(), ...env }, stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: 20_000 })
    return { status: run.status, stderr: run.stderr }
  } finally {
    closeSync(full)
  }
}

describe.skipIf(!existsSync('/dev/full'))('a command whose stdout cannot be written', () => {
  it.each([
    ['token (the fast build)', ['token', 'sandbox']],
    ['token --json (the fast build)', ['token', 'sandbox', '--json']],
    ['token --verbose (the full CLI)', ['token', 'sandbox', '--verbose']],
    ['status --json (the fast listing)', ['status', '--json']],
    ['export (the full CLI)', ['export', 'sandbox']],
  ])('%s: exit 1, saying stdout could not be written', async (_what, args) => {
    const home = newHome()
    await home.plant(sandboxCredential())
    const run = runIntoFullDisk(args, home.env)
    expect(run.stderr).toContain('oauth-cli: cannot write to stdout: ENOSPC')
    expect(run.stderr).not.toContain('at-planted-0123456789')
    expect(run.status).toBe(1)
  })
})
