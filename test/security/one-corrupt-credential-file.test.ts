/**
 * Attack (issue 10 item 12): one corrupt credential file (truncated JSON, a
 * wrong passphrase's envelope) made `status` print nothing and `logout --local`
 * refuse to remove it. The others are listed, the bad one is flagged on
 * stderr, `status --json` stays a valid array, and `logout --local` removes it.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { sandboxCredential, securityHome, type SecurityHome } from './support'

const homes: SecurityHome[] = []
const newHome = async (): Promise<SecurityHome> => {
  const home = securityHome()
  homes.push(home)
  await home.plant(sandboxCredential())
  await home.plant(sandboxCredential({ profile: 'work' }))
  writeFileSync(home.fileOf('sandbox', 'broken'), '{"version": 1, "provider": "sandbox", "prof', { mode: 0o600 })
  return home
}
afterEach(() => {
  for (const home of homes.splice(0)) home.cleanup()
})

describe('one corrupt credential file among good ones', () => {
  it('status --json lists the good ones as a valid array and flags the bad one on stderr', async () => {
    const home = await newHome()
    const run = await home.cli(['status', '--json'])
    expect(run.exitCode).toBe(0)
    const rows = JSON.parse(run.stdout) as Array<{ profile: string; store: string }>
    expect(rows.map((r) => r.profile).sort()).toEqual(['default', 'work'])
    expect(run.stderr).toContain(home.fileOf('sandbox', 'broken'))
    expect(run.stderr).toMatch(/unreadable/)
  })

  it('status (human) lists the good ones too', async () => {
    const home = await newHome()
    const run = await home.cli(['status'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('work')
    expect(run.stderr).toContain(home.fileOf('sandbox', 'broken'))
  })

  it('logout --local removes the unreadable item', async () => {
    const home = await newHome()
    const run = await home.cli(['logout', 'sandbox', '--profile', 'broken', '--local'])
    expect(run.exitCode).toBe(0)
    expect(existsSync(home.fileOf('sandbox', 'broken'))).toBe(false)
    expect(existsSync(home.fileOf('sandbox', 'work'))).toBe(true)
    const after = await home.cli(['status', '--json'])
    expect(after.stderr).toBe('')
  })

  it('a plain logout of the unreadable item says how to remove it locally', async () => {
    const home = await newHome()
    const run = await home.cli(['logout', 'sandbox', '--profile', 'broken'])
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('--local')
    expect(existsSync(home.fileOf('sandbox', 'broken'))).toBe(true)
  })
})

describe('one corrupt OS keychain item among good ones', () => {
  it('is told to onUnreadable, and the others are listed', async () => {
    const { createKeychainStore } = await import('../../src/store/keychain-store')
    const good = JSON.stringify(sandboxCredential())
    const items = [
      { account: 'sandbox:default', password: good },
      { account: 'sandbox:broken', password: '{"trunc' },
    ]
    const store = createKeychainStore({
      backend: {
        getPassword: async (_s, account) => items.find((i) => i.account === account)?.password ?? null,
        setPassword: async () => undefined,
        deletePassword: async () => true,
        findCredentials: async () => items,
      },
    })
    const flagged: string[] = []
    const listed = await store.list({ onUnreadable: (err) => flagged.push(`${err.key?.profile}: ${err.kind}`) })
    expect(listed.map((c) => c.profile)).toEqual(['default'])
    expect(flagged).toEqual(['broken: corrupt'])
    await expect(store.list()).rejects.toThrow(/unreadable/)
  })
})
