/**
 * A timer longer than setTimeout holds (2^31-1 ms, about 24.8 days) fires at
 * once: `login --timeout 2147484` ended within a second saying it had waited
 * 2147484 s, and an absurd refresh deadline failed every refresh at once. The
 * flags and the variable refuse such values (exit 2, naming the range) instead
 * (`call --request-timeout` and `login --timeout 3000000`: errors.test.ts).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { expectExit, it, loginAcme, SUITE, tokenRequests } from './world'

describe('timeouts longer than a timer can hold', SUITE, () => {
  it.for(['2147484', '99999999'])('login --timeout %s is a usage error naming the accepted range, and nothing is listened for', async (value, { makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['login', 'acme', '--timeout', value, '--no-browser'], { env: { BROWSER: world.noopBrowser() } })
    expectExit(run, 2)
    expect(run.stderr).toContain('--timeout')
    expect(run.stderr).toMatch(/from 1 to 2147483\b/)
    expect(run.stderr).not.toMatch(/TimeoutOverflowWarning|did not complete/)
    expect(run.stderr).not.toContain('/authorize')
  })

  it('login --timeout 2147483, the most a timer holds, is accepted and waits for the login', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await loginAcme(world, ['--timeout', '2147483'])
    expect(run.stderr).not.toMatch(/TimeoutOverflowWarning/)
  })

  it('token --request-timeout 3000000 (the start-up fast path hands it on) is a usage error naming the range; nothing is sent', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    await loginAcme(world)
    const before = world.fp.requests.length
    const run = await world.cli(['token', 'acme', '--request-timeout', '3000000'])
    expectExit(run, 2)
    expect(run.stderr).toContain('--request-timeout')
    expect(run.stderr).toMatch(/from 1 to 2147483\b/)
    expect(run.stdout).toBe('')
    expect(world.fp.requests.length).toBe(before)
  })

  it('token --request-timeout 2147483 refreshes without a timer warning', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    await loginAcme(world)
    const run = await world.cli(['token', 'acme', '--request-timeout', '2147483'])
    expectExit(run, 0)
    expect(run.stderr).not.toMatch(/TimeoutOverflowWarning/)
  })

  it('an absurd OAUTH_CLI_REFRESH_DEADLINE_MS is a configuration error naming it; the refresh token is not spent', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    await loginAcme(world)
    const file = join(world.env.XDG_DATA_HOME!, 'oauth-cli', 'credentials', 'acme@default.json')
    const stored = readFileSync(file, 'utf8')
    const refreshes = (): number => tokenRequests(world.fp).filter((r) => r.params.get('grant_type') === 'refresh_token').length
    const run = await world.cli(['token', 'acme'], { env: { OAUTH_CLI_REFRESH_DEADLINE_MS: '99999999999' } })
    expectExit(run, 2)
    expect(run.stderr).toContain('OAUTH_CLI_REFRESH_DEADLINE_MS')
    expect(run.stderr).toMatch(/1 to 3600000/)
    expect(run.stdout).toBe('')
    expect(refreshes()).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe(stored)
  })
})
