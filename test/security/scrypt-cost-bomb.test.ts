/**
 * Attack (issue 10 item 11): a tampered envelope asks scrypt for n=2^20, r=32,
 * p=16 (4 GiB, over a minute); `token` must refuse it at once. And a plaintext
 * file read while OAUTH_CLI_PASSPHRASE is set is reported, then encrypted on the
 * next write.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createFileStore } from '../../src/store/file-store'
import { sandboxCredential, securityHomes } from './support'

const newHome = securityHomes()

describe('a tampered scrypt cost in an encrypted credential file', () => {
  it('is refused within a second, as corrupt, naming the parameters, without deriving a key', async () => {
    const home = newHome()
    await home.plant(sandboxCredential(), 'pw')
    const path = home.fileOf('sandbox')
    const envelope = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
    writeFileSync(path, JSON.stringify({ ...envelope, n: 2 ** 20, r: 32, p: 16 }))
    const run = await home.cli(['token', 'sandbox'], { OAUTH_CLI_PASSPHRASE: 'pw' }, 15_000)
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/scrypt/)
    expect(run.stderr).toContain(path)
    expect(run.ms).toBeLessThan(3000)
    // Left as it was, for the user to inspect.
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ n: 2 ** 20, r: 32, p: 16 })
  })

  it('accepts the parameters the tool writes', async () => {
    const home = newHome()
    await home.plant(sandboxCredential(), 'pw')
    const run = await home.cli(['token', 'sandbox'], { OAUTH_CLI_PASSPHRASE: 'pw' })
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toBe('at-planted-0123456789\n')
  })
})

describe('a plaintext credential file read while OAUTH_CLI_PASSPHRASE is set', () => {
  it('is reported on stderr, and encrypted on the next write', async () => {
    const home = newHome()
    await home.plant(sandboxCredential())
    const run = await home.cli(['token', 'sandbox'], { OAUTH_CLI_PASSPHRASE: 'pw' })
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toBe('at-planted-0123456789\n')
    expect(run.stderr).toContain(home.fileOf('sandbox'))
    expect(run.stderr).toMatch(/not encrypted/)
    const store = createFileStore({ dir: home.dataDir, passphrase: 'pw' })
    await store.set(sandboxCredential())
    expect(readFileSync(home.fileOf('sandbox'), 'utf8')).toContain('"oauth_cli_encrypted": 1')
  })
})
