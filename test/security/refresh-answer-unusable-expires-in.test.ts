/**
 * Attack (issue 10 item 8): a refresh answer with expires_in 1e13, "abc" or -5
 * crashed (RangeError on toISOString, or "invalid response") after the server
 * had already rotated the refresh token, so the new tokens were lost and the
 * next command found the grant revoked. The tokens are kept, expiry unknown,
 * and stderr says so.
 */
import { describe, expect } from 'vitest'
import { expectExit, it, loginAcme, statusJson, SUITE } from '../e2e/world'

describe('a refresh answer whose expires_in is unusable', SUITE, () => {
  it.for([['1e13', 1e13], ['"abc"', 'abc'], ['-5', -5]] as const)(
    'with expires_in %s keeps the issued tokens, with an unknown expiry, and says so',
    async ([, expiresIn], { makeWorld }) => {
      const world = await makeWorld()
      await loginAcme(world)
      world.fp.injectTokenFault({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: 'at-issued-once', refresh_token: 'rt-issued-once', token_type: 'Bearer', expires_in: expiresIn }),
      })
      const refresh = await world.cli(['refresh', 'acme'])
      expectExit(refresh, 0)
      expect(refresh.stderr).toMatch(/expires_in/)
      expect(refresh.stderr).toMatch(/unknown/)
      expect(refresh.stderr).not.toContain('at-issued-once')
      const token = await world.cli(['token', 'acme'])
      expectExit(token, 0)
      expect(token.stdout).toBe('at-issued-once\n')
      const [row] = await statusJson(world)
      expect(row?.expires_at).toBeNull()
    },
  )
})
