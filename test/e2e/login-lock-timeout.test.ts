/**
 * A login saves under the refresh lock. When another process holds that lock
 * past the lock timeout (a refresh or a logout that is alive, and may be
 * writing this very credential), the login must not write over it: what the
 * holder stored stays, and the tokens the provider just issued to the login
 * are not dropped but written to a 0600 emergency file the error names, with
 * the command that restores them. Through the built binary, against a real
 * lock file held by this test process.
 */
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { systemClock } from '../../src/platform/clock'
import { decodeBundle } from '../../src/session/bundle'
import { refreshLockName } from '../../src/session/save-issued'
import { createFileStore } from '../../src/store/file-store'
import { createFileLocker } from '../../src/store/lock'
import { it, SUITE, expectExit, lockAttempted, loginAcme, refreshAtProvider, type World } from './world'

describe('a login whose wait for the refresh lock times out', SUITE, () => {
  it('keeps what the lock holder stored, rescues its own new tokens to a 0600 file it names, and exits 5 (a timeout) saying how to restore them', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const issuedBefore = world.fp.issuedRefreshTokens().length
    const dataDir = join(world.env.XDG_DATA_HOME!, 'oauth-cli')
    const store = createFileStore({ dir: dataDir })
    const key = { provider: 'acme', profile: 'default' }
    const locks = join(dataDir, 'locks')
    const holder = createFileLocker(locks, systemClock)
    let rotated!: { access_token: string; refresh_token: string }
    let login!: ReturnType<World['spawn']>
    await holder.withLock(refreshLockName(key), async () => {
      const attempt = lockAttempted(locks)
      try {
        login = world.spawn(['login', 'acme'], { env: { OAUTH_CLI_LOCK_TIMEOUT_MS: '3000' } })
        await Promise.race([attempt.seen, login.exited.then(() => undefined)])
        // While the login waits, the holder's refresh rotates the stored pair and stores it.
        const before = await store.get(key)
        if (before.status !== 'found') throw new Error('the first login stored nothing')
        rotated = await refreshAtProvider(world, before.credential.refresh_token!)
        await store.set({ ...before.credential, access_token: rotated.access_token, refresh_token: rotated.refresh_token, updated_at: new Date().toISOString() })
        // The holder is still at work when the login gives up waiting.
        await login.exited
      } finally {
        attempt.close()
      }
    })
    const run = await login.exited
    expectExit(run, 5)
    // What the holder stored is not overwritten.
    const now = await store.get(key)
    expect(now.status === 'found' && now.credential.refresh_token).toBe(rotated.refresh_token)
    // The login's tokens are not lost: in the named 0600 file, never on stderr.
    // The login's code exchange came before its wait for the lock, so before the holder's refresh.
    const issued = world.fp.issuedRefreshTokens()[issuedBefore]!
    expect([issued, rotated.refresh_token]).toEqual(world.fp.issuedRefreshTokens().slice(issuedBefore))
    expect(run.stderr).not.toContain(issued)
    expect(run.stderr).toMatch(/waiting for the lock/)
    const path = /written to (\S+) \(mode 0600/.exec(run.stderr)?.[1]
    expect(path, run.stderr).toBeDefined()
    expect(statSync(path!).mode & 0o777).toBe(0o600)
    const rescued = decodeBundle(readFileSync(path!, 'utf8'))
    expect(rescued.ok && rescued.credential.refresh_token).toBe(issued)
    // The restore command it names works once the holder is gone.
    expect(run.stderr).toContain(`oauth-cli import --store file < ${path}`)
    expectExit(await world.cli(['import', '--store', 'file'], { stdin: readFileSync(path!, 'utf8') }), 0)
    const after = await store.get(key)
    expect(after.status === 'found' && after.credential.refresh_token).toBe(issued)
  })
})
