/**
 * `status` filtered to one profile (`--profile`, or OAUTH_CLI_PROFILE) with
 * nothing stored under it, on the built CLI: it says it is that profile that is
 * empty, not that nothing at all is stored.
 */
import { describe, expect } from 'vitest'
import { it, SUITE, expectExit, loginAcme } from './world'

describe('status for a profile with nothing stored', SUITE, () => {
  it.for([
    ['--profile', { args: ['status', '--profile', 'work'], env: {} }],
    ['OAUTH_CLI_PROFILE', { args: ['status'], env: { OAUTH_CLI_PROFILE: 'work' } }],
  ] as const)('names the profile (%s), exit 0, while other profiles hold credentials', async ([, { args, env }], { makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli([...args], { env })
    expectExit(run, 0)
    // A hint, not a result: stderr (SPEC), as gh auth status says it; stdout, the listing, is empty.
    expect(run.stderr).toBe('No stored credentials for profile work. Run: oauth-cli login <provider> --profile work\n')
    expect(run.stdout).toBe('')
  })
})
