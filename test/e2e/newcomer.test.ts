/**
 * What a newcomer who knows gh and curl trips over (issue 13), each on the
 * built CLI with a temp HOME: exit code, stdout and stderr.
 */
import { describe, expect } from 'vitest'
import { it, SUITE, expectExit, grantTypes, last, loginAcme } from './world'

describe('the refresh skew', SUITE, () => {
  it('does not refresh a 60 s token on every use: the skew is half a short lifetime', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 60 } })
    await loginAcme(world)
    const issued = last(world.fp.issuedAccessTokens())
    for (const args of [['token', 'acme'], ['token', 'acme'], ['call', 'acme', '/me']]) {
      const run = await world.cli(args)
      expectExit(run, 0)
      expect(run.stderr).toBe('')
    }
    expect(grantTypes(world.fp)).toEqual(['authorization_code'])
    expect(last(world.fp.issuedAccessTokens())).toBe(issued)
  })

  it('token --min-ttl beyond the provider\'s lifetime suggests the real usable maximum, and that one works', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 60 } })
    await loginAcme(world)
    const tooLong = await world.cli(['token', 'acme', '--min-ttl', '1800'])
    expectExit(tooLong, 1)
    expect(tooLong.stdout).toBe('')
    expect(tooLong.stderr).toContain('acme issues access tokens that live 60 s, less than the 1800 s asked with --min-ttl')
    const suggested = /use --min-ttl (\d+) or less/.exec(tooLong.stderr)?.[1]
    expect(suggested).toBe('59')
    const ok = await world.cli(['token', 'acme', '--min-ttl', suggested!])
    expectExit(ok, 0)
    expect(ok.stdout).toBe(`${last(world.fp.issuedAccessTokens())}\n`)
  })
})
