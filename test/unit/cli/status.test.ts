import { describe, expect, it } from 'vitest'
import { executeStatus, runStatus } from '../../../src/cli/commands/status'
import { NotLoggedInError } from '../../../src/session/errors'
import { join } from 'node:path'
import { makeCredential, makeTestDeps, makeTestHome, MemoryStore } from '../../fakes'

const common = { json: true, verbose: false, store: 'auto' as const }
/** Test deps whose readTextFile counts the reads of profiles.json. */
function countingDeps(options: { profiles?: string; env?: Record<string, string>; store?: MemoryStore } = {}) {
  const homedir = makeTestHome()
  const PROFILES = join(homedir, '.config/oauth-cli/profiles.json')
  const files: Record<string, string> = options.profiles === undefined ? {} : { [PROFILES]: options.profiles }
  const reads: string[] = []
  const deps = makeTestDeps({
    homedir,
    env: options.env ?? {},
    ...(options.store ? { store: options.store } : {}),
    readTextFile: async (path) => {
      reads.push(path)
      return files[path]
    },
  })
  return { deps, profileReads: () => reads.filter((path) => path === PROFILES).length }
}

async function storeWith(...keys: Array<[provider: string, profile: string]>): Promise<MemoryStore> {
  const store = new MemoryStore()
  for (const [provider, profile] of keys) await store.set(makeCredential({ provider, profile }))
  return store
}

describe('status', () => {
  it('marks the default profile of each provider as profiles.json names it, reading the file once', async () => {
    const store = await storeWith(['livechat', 'default'], ['livechat', 'work'], ['tidio', 'default'])
    const { deps, profileReads } = countingDeps({ store, profiles: JSON.stringify({ default_profiles: { livechat: 'work' } }) })
    expect(await executeStatus(common, deps)).toBe(0)
    const rows = JSON.parse(deps.io.stdoutText) as Array<{ provider: string; profile: string; default: boolean }>
    expect(rows.map(({ provider, profile, default: isDefault }) => [provider, profile, isDefault])).toEqual([
      ['livechat', 'default', false],
      ['livechat', 'work', true],
      ['tidio', 'default', true],
    ])
    expect(profileReads()).toBe(1)
  })

  it('takes OAUTH_CLI_PROFILE for every provider default over profiles.json', async () => {
    const store = await storeWith(['livechat', 'work'], ['livechat', 'ci'])
    const { deps } = countingDeps({ store, env: { OAUTH_CLI_PROFILE: 'ci' }, profiles: JSON.stringify({ default_profiles: { livechat: 'work' } }) })
    const rows = await runStatus(common, deps)
    expect(rows.map((row) => [row.profile, row.default])).toEqual([
      ['ci', true],
      ['work', false],
    ])
  })

  it('says which profile is not logged in for a provider with nothing stored, reading profiles.json once', async () => {
    const { deps, profileReads } = countingDeps({ profiles: JSON.stringify({ default_profiles: { livechat: 'work' } }) })
    const err = await executeStatus({ ...common, provider: 'livechat' }, deps).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NotLoggedInError)
    expect((err as NotLoggedInError).key).toEqual({ provider: 'livechat', profile: 'work' })
    expect(deps.io.stdoutText).toBe('[]\n')
    expect(profileReads()).toBe(1)
  })

  it.each([
    ['bare', {}, 'No stored credentials. Run: oauth-cli login <provider>\n'],
    ['for one profile', { profile: 'work' }, 'No stored credentials for profile work. Run: oauth-cli login <provider> --profile work\n'],
  ])('with nothing stored (%s) says so on stderr, a hint and no result: stdout stays empty, exit 0', async (_name, extra, hint) => {
    const { deps } = countingDeps()
    expect(await executeStatus({ ...common, json: false, ...extra }, deps)).toBe(0)
    expect(deps.io.stdoutText).toBe('')
    expect(deps.io.stderrText).toBe(hint)
  })

  it('with nothing stored prints [] with --json, and nothing on stderr', async () => {
    const { deps } = countingDeps()
    expect(await executeStatus(common, deps)).toBe(0)
    expect(deps.io.stdoutText).toBe('[]\n')
    expect(deps.io.stderrText).toBe('')
  })
})

describe('status and a refresh left in flight', () => {
  const mark = { kind: 'refresh_in_flight' as const, holder: 'pid 4242 on runner-7', fence: 'f1', at: '2026-12-01T20:00:00.000Z' }

  it('a local credential whose last refresh at a rotating provider was left unsettled is not refreshable, with the login the next token asks for', async () => {
    const store = new MemoryStore()
    await store.set({ ...makeCredential({ provider: 'livechat', profile: 'work' }), rotation_seen: true, refresh_mark: mark })
    const { deps } = countingDeps({ store })
    expect(await executeStatus(common, deps)).toBe(0)
    expect((JSON.parse(deps.io.stdoutText) as Array<{ refreshable: boolean }>)[0]?.refreshable).toBe(false)
    expect(deps.io.stderrText).toContain('was sent by pid 4242 on runner-7 at 2026-12-01T20:00:00.000Z')
    expect(deps.io.stderrText).toContain('run: oauth-cli login livechat --profile work')
  })

  it('without rotation seen, the next refresh sends the token again: refreshable, nothing said', async () => {
    const store = new MemoryStore()
    await store.set({ ...makeCredential({ provider: 'livechat', profile: 'work' }), refresh_mark: mark })
    const { deps } = countingDeps({ store })
    expect(await executeStatus(common, deps)).toBe(0)
    expect((JSON.parse(deps.io.stdoutText) as Array<{ refreshable: boolean }>)[0]?.refreshable).toBe(true)
    expect(deps.io.stderrText).toBe('')
  })
})
