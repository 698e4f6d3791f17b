/**
 * A mistyped shared-store URL (`postgress://…`, `mysql://…`) is refused by the
 * option parser, which repeats the value it refused. The password in it must not
 * reach stderr (CI logs), on the fast path (`token`) or the full CLI (`status`).
 */
import { describe, expect } from 'vitest'
import { it, SUITE, expectExit } from '../e2e/world'

describe('a password in a refused --store URL', SUITE, () => {
  it.for([
    ['status', 'postgress://ci:hunter2-secret@db.internal:5432/oauth'],
    ['token', 'mysql://ci:hunter2-secret@db.internal/oauth'],
    // No "://" left for a redaction pattern to recognise the password by.
    ['status', 'postgres//ci:hunter2-secret@db.internal:5432/oauth'],
    ['token', 'ci:hunter2-secret@db.internal/oauth'],
  ] as const)('%s --store %s exits 2 without printing the password', async ([command, url], { makeWorld }) => {
    const world = await makeWorld()
    const args = command === 'token' ? ['token', 'acme', '--store', url] : ['status', '--store', url]
    const run = await world.cli(args)
    expectExit(run, 2)
    expect(run.stderr).toMatch(/--store/)
    expect(run.stderr).not.toContain('hunter2-secret')
    expect(run.stderr).toMatch(/expected keychain, file, or a postgres:\/\/ or postgresql:\/\/ URL/)
    expect(run.stdout).toBe('')
  })

  it('repeats a refused plain word whole, so a typo can be seen', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['status', '--store', 'keychan'])
    expectExit(run, 2)
    expect(run.stderr).toContain("argument 'keychan' is invalid: expected keychain, file, or a postgres:// or postgresql:// URL")
  })
})
