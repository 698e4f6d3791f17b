/**
 * A proxy variable that names no proxy, and a `--cacert` file that cannot be
 * read or holds no certificate, are configuration errors (exit 2) that the
 * user should meet before anything else happens: a login must say so before
 * it opens the browser (not after the user approved there), and a refresh
 * before it waits for the refresh lock (not after a wait of minutes). Through
 * the built binary, with a `$BROWSER` that leaves a mark when it is run and a
 * lock held by this test process.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { systemClock } from '../../src/platform/clock'
import { refreshLockName } from '../../src/session/save-issued'
import { createFileLocker } from '../../src/store/lock'
import { expectExit, it, loginAcme, SUITE, type World } from './world'

/** Each bad transport setting, as the arguments and environment that give it, and what the message must name. */
function badSettings(world: World): Array<{ what: string; args: string[]; env: Record<string, string>; names: string }> {
  const notPem = join(world.home.home, 'not-a-ca.pem')
  writeFileSync(notPem, 'just some text\n')
  return [
    { what: 'HTTPS_PROXY naming no proxy', args: [], env: { HTTPS_PROXY: 'http://ci:hunter2-secret@[proxy' }, names: 'HTTPS_PROXY is not the URL of a proxy' },
    { what: 'a --cacert file that does not exist', args: ['--cacert', join(world.home.home, 'missing.pem')], env: {}, names: 'missing.pem' },
    { what: 'a --cacert file with no certificate', args: ['--cacert', notPem], env: {}, names: 'not-a-ca.pem' },
  ]
}

describe('a bad proxy variable or --cacert is said before anything the user would wait on', SUITE, () => {
  it('login exits 2 before it opens the browser or prints the authorization URL, and sends nothing', async ({ makeWorld }) => {
    const world = await makeWorld()
    const mark = join(world.home.home, 'browser-ran')
    const browser = world.home.writeExecutable('marking-browser', `#!/bin/sh\ntouch '${mark}'\n`)
    for (const bad of badSettings(world)) {
      const run = await world.cli(['login', 'acme', ...bad.args], { env: { BROWSER: browser, ...bad.env }, timeoutMs: 15_000 })
      expectExit(run, 2)
      expect(run.stderr, bad.what).toContain(bad.names)
      expect(run.stderr, bad.what).not.toMatch(/authorize|Waiting for/)
      expect(run.stderr).not.toContain('hunter2')
      expect(existsSync(mark), `${bad.what}: the browser was opened`).toBe(false)
    }
    expect(world.fp.requests).toHaveLength(0)
  })

  it('login --client-secret-stdin exits 2 before it reads the secret: a script that has not written it yet is not waited on', async ({ makeWorld }) => {
    const world = await makeWorld()
    for (const bad of badSettings(world)) {
      // stdin stays open and empty: a login that reads the secret first waits on it (until the 8 s bound kills it).
      const cli = world.spawn(['login', 'acme', '--client-secret-stdin', ...bad.args], { env: bad.env, keepStdinOpen: true, timeoutMs: 8_000 })
      const run = await cli.exited
      expectExit(run, 2)
      expect(run.stderr, bad.what).toContain(bad.names)
      expect(run.stderr).not.toContain('hunter2')
    }
    expect(world.fp.requests).toHaveLength(0)
  })

  it.for([
    { command: 'refresh', args: ['refresh', 'acme'] },
    { command: 'token, stale', args: ['token', 'acme'] },
    { command: 'logout', args: ['logout', 'acme'] },
  ])('$command exits 2 at once while another process holds the refresh lock, without waiting for it', async ({ args }, { makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    await loginAcme(world)
    const sent = world.fp.requests.length
    const locks = join(world.env.XDG_DATA_HOME!, 'oauth-cli', 'locks')
    const holder = createFileLocker(locks, systemClock)
    for (const bad of badSettings(world)) {
      // Held for as long as the command runs: one that waits for it gives up after the (short) lock timeout, exit 5.
      const run = await holder.withLock(refreshLockName({ provider: 'acme', profile: 'default' }), () =>
        world.cli([...args, ...bad.args], { env: { OAUTH_CLI_LOCK_TIMEOUT_MS: '3000', ...bad.env } }),
      )
      expectExit(run, 2)
      expect(run.stdout).toBe('')
      expect(run.stderr, bad.what).toContain(bad.names)
      expect(run.stderr, bad.what).not.toMatch(/waiting for the lock/)
      expect(run.stderr).not.toContain('hunter2')
    }
    expect(world.fp.requests).toHaveLength(sent)
  })
})
