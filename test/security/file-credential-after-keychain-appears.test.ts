/**
 * Attack (issue 10 item 9): logged in where no keychain answered (so into the
 * file store), then in a session with a keychain: `token`, `call` and `logout`
 * said "not logged in" while `status` listed the credential. With the default
 * store a credential is found in either store, written back where it lives,
 * and `status` says where each lives.
 *
 * Needs the real Secret Service (run by /work/wt/bin/fulltest and CI).
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { createKeychainStore, probeKeychain } from '../../src/store/keychain-store'
import { apiRequests, expectExit, it, parseStdout, SUITE, type CredentialSummary } from '../e2e/world'

const bus = process.env.DBUS_SESSION_BUS_ADDRESS
const keychain = createKeychainStore({ timeoutMs: 10_000 })
const answers = bus !== undefined && (await probeKeychain(keychain)).ok
const required = process.env.OAUTH_CLI_REQUIRE_KEYCHAIN === '1'

describe.runIf(required && !answers)('a real keychain (required)', () => {
  it('answers', () => expect(answers, 'OAUTH_CLI_REQUIRE_KEYCHAIN=1 but no OS keychain answered').toBe(true))
})

describe.runIf(answers)('a credential in the file store once a keychain appears', SUITE, () => {
  it('is used by token and call, refreshed back into the file store, listed as file, and removed by logout', async ({ makeWorld }) => {
    const world = await makeWorld()
    // A unique profile: the real keychain (service oauth-cli) is shared by concurrent tests.
    const profile = `p${randomBytes(5).toString('hex')}`
    const p = ['--profile', profile]
    const noKeychain = { OAUTH_CLI_STORE: '', DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(world.home.home, 'no-bus')}` }
    const withKeychain = { OAUTH_CLI_STORE: '', DBUS_SESSION_BUS_ADDRESS: bus! }
    try {
      const login = await world.cli(['login', 'acme', ...p], { env: noKeychain })
      expectExit(login, 0)
      expect(login.stderr).toMatch(/file store/)

      const token = await world.cli(['token', 'acme', ...p], { env: withKeychain })
      expectExit(token, 0)
      expect(world.fp.isTokenActive(token.stdout.trim())).toBe(true)

      const call = await world.cli(['call', 'acme', '/api/me', ...p], { env: withKeychain })
      expectExit(call, 0)
      expect(apiRequests(world.fp).length).toBeGreaterThan(0)

      const refresh = await world.cli(['refresh', 'acme', ...p, '--json'], { env: withKeychain })
      expectExit(refresh, 0)
      expect(parseStdout<CredentialSummary>(refresh).store).toBe('file')
      // Written back where it lives: nothing went to the keychain.
      expect(await keychain.get({ provider: 'acme', profile })).toEqual({ status: 'missing' })

      const status = await world.cli(['status', 'acme', ...p, '--json'], { env: withKeychain })
      expectExit(status, 0)
      expect(parseStdout<CredentialSummary[]>(status)).toMatchObject([{ provider: 'acme', profile, store: 'file' }])

      const logout = await world.cli(['logout', 'acme', ...p], { env: withKeychain })
      expectExit(logout, 0)
      const after = await world.cli(['status', 'acme', ...p, '--json'], { env: withKeychain })
      expect(parseStdout<CredentialSummary[]>(after)).toEqual([])
    } finally {
      await keychain.delete({ provider: 'acme', profile }).catch(() => undefined)
    }
  })

  it('a newer file-store login over an older keychain one is the one used and listed, and logout revokes both', async ({ makeWorld }) => {
    const world = await makeWorld()
    const profile = `p${randomBytes(5).toString('hex')}`
    const p = ['--profile', profile]
    const noKeychain = { OAUTH_CLI_STORE: '', DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(world.home.home, 'no-bus')}` }
    const withKeychain = { OAUTH_CLI_STORE: '', DBUS_SESSION_BUS_ADDRESS: bus! }
    try {
      expectExit(await world.cli(['login', 'acme', ...p], { env: withKeychain }), 0)
      const inKeychain = (await keychain.get({ provider: 'acme', profile })) as { credential: { access_token: string; refresh_token: string } }
      // The keychain goes away for a while: the next login lands in the file store, beside the keychain's copy.
      const fileLogin = await world.cli(['login', 'acme', ...p, '--json'], { env: noKeychain })
      expectExit(fileLogin, 0)
      expect(parseStdout<CredentialSummary>(fileLogin).store).toBe('file')
      const newest = (await world.cli(['token', 'acme', ...p], { env: noKeychain })).stdout.trim()

      // The keychain is back: the newer login is what token uses and what status lists, once.
      const token = await world.cli(['token', 'acme', ...p], { env: withKeychain })
      expectExit(token, 0)
      expect(token.stdout.trim()).toBe(newest)
      const status = await world.cli(['status', 'acme', ...p, '--json'], { env: withKeychain })
      expect(parseStdout<CredentialSummary[]>(status)).toMatchObject([{ provider: 'acme', profile, store: 'file' }])

      // logout revokes both copies' tokens, not only the one in use, and removes both.
      const logout = await world.cli(['logout', 'acme', ...p], { env: withKeychain })
      expectExit(logout, 0)
      expect(world.fp.isTokenActive(inKeychain.credential.refresh_token)).toBe(false)
      expect(world.fp.isTokenActive(inKeychain.credential.access_token)).toBe(false)
      expect(world.fp.isTokenActive(newest)).toBe(false)
      expect(world.fp.issuedRefreshTokens().filter((t) => world.fp.isTokenActive(t))).toEqual([])
      expect(await keychain.get({ provider: 'acme', profile })).toEqual({ status: 'missing' })
      const after = await world.cli(['status', 'acme', ...p, '--json'], { env: withKeychain })
      expect(parseStdout<CredentialSummary[]>(after)).toEqual([])
    } finally {
      await keychain.delete({ provider: 'acme', profile }).catch(() => undefined)
    }
  })

  it('a new login with the keychain answering goes to the keychain and is listed there', async ({ makeWorld }) => {
    const world = await makeWorld()
    const profile = `p${randomBytes(5).toString('hex')}`
    try {
      const login = await world.cli(['login', 'acme', '--profile', profile, '--json'], { env: { OAUTH_CLI_STORE: '', DBUS_SESSION_BUS_ADDRESS: bus! } })
      expectExit(login, 0)
      expect(parseStdout<CredentialSummary>(login).store).toBe('keychain')
      expect((await keychain.get({ provider: 'acme', profile })).status).toBe('found')
    } finally {
      await keychain.delete({ provider: 'acme', profile }).catch(() => undefined)
    }
  })
})
