import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { executeProfileList, runProfileList, runProfileUse } from '../../../src/cli/commands/profile'
import { UsageError } from '../../../src/cli/errors'
import { runCli, type Runners } from '../../../src/cli/program'
import { ConfigError } from '../../../src/providers/errors'
import { makeTestDeps } from '../../fakes'

const common = { json: false, verbose: false, store: 'auto' as const }
const dirs: string[] = []

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** Deps whose XDG_CONFIG_HOME is a fresh temp dir, read with the real file system. */
function diskDeps(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-cli-profile-'))
  dirs.push(dir)
  const readTextFile = async (path: string) => readFile(path, 'utf8').catch(() => undefined)
  return { deps: makeTestDeps({ env: { XDG_CONFIG_HOME: dir, ...env }, readTextFile }), path: join(dir, 'oauth-cli', 'profiles.json') }
}

describe('runProfileUse', () => {
  it('writes the default profile to profiles.json, mode 0600', async () => {
    const { deps, path } = diskDeps()
    const row = await runProfileUse({ ...common, provider: 'livechat', name: 'work' }, deps)
    expect(row).toMatchObject({ provider: 'livechat', default_profile: 'work', source: 'profiles_file', path })
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ default_profiles: { livechat: 'work' } })
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })

  it('keeps other providers and resets one with "default"', async () => {
    const { deps, path } = diskDeps()
    await runProfileUse({ ...common, provider: 'livechat', name: 'work' }, deps)
    await runProfileUse({ ...common, provider: 'tidio', name: 'shop' }, deps)
    await runProfileUse({ ...common, provider: 'livechat', name: 'default' }, deps)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ default_profiles: { tidio: 'shop' } })
  })

  it('refuses an unknown provider and a bad profile name, writing nothing', async () => {
    const { deps, path } = diskDeps()
    await expect(runProfileUse({ ...common, provider: 'livechta', name: 'work' }, deps)).rejects.toThrow(ConfigError)
    await expect(runProfileUse({ ...common, provider: 'livechat', name: 'a/b' }, deps)).rejects.toThrow(UsageError)
    expect(() => statSync(path)).toThrow()
  })
})

describe('runProfileList', () => {
  it('lists every provider with the profile it uses by default and where that comes from', async () => {
    const { deps } = diskDeps()
    await runProfileUse({ ...common, provider: 'livestorm', name: 'team' }, deps)
    expect(await runProfileList(common, deps)).toEqual([
      { provider: 'livechat', default_profile: 'default', source: 'built-in' },
      { provider: 'livestorm', default_profile: 'team', source: 'profiles_file' },
      { provider: 'sandbox', default_profile: 'default', source: 'built-in' },
      { provider: 'tidio', default_profile: 'default', source: 'built-in' },
    ])
  })

  it('shows OAUTH_CLI_PROFILE winning over profiles.json', async () => {
    const { deps } = diskDeps({ OAUTH_CLI_PROFILE: 'ci' })
    await runProfileUse({ ...common, provider: 'livestorm', name: 'team' }, deps)
    const rows = await runProfileList(common, deps)
    expect(rows.every((r) => r.default_profile === 'ci' && r.source === 'env')).toBe(true)
  })

  it('renders a table on stdout, JSON with --json', async () => {
    const { deps } = diskDeps()
    await executeProfileList(common, deps)
    expect(deps.io.stdoutText.split('\n')[0]).toMatch(/^PROVIDER\s+DEFAULT PROFILE\s+SET BY$/)
    expect(deps.io.stdoutText).toMatch(/^tidio\s+default\s+not set$/m)
  })
})

describe('profile resolution in the command tree', () => {
  function spy() {
    const seen: Array<Record<string, unknown>> = []
    const record = async (opts: object) => {
      seen.push(opts as Record<string, unknown>)
      return 0 as const
    }
    const runners: Partial<Runners> = { token: record, call: record, status: record, importBundle: record, exportBundle: record }
    return { seen, runners }
  }
  const PATH = '~/.config/oauth-cli/profiles.json'
  const files = { [PATH]: '{"default_profiles":{"acme":"work"}}' }

  it.each([
    ['profiles.json for a command on a provider', ['token', 'acme'], {}, 'work'],
    ['"default" for a provider without an entry', ['token', 'other'], {}, 'default'],
    ['OAUTH_CLI_PROFILE over profiles.json', ['token', 'acme'], { OAUTH_CLI_PROFILE: 'ci' }, 'ci'],
    ['--profile over everything', ['token', 'acme', '--profile', 'x'], { OAUTH_CLI_PROFILE: 'ci' }, 'x'],
    ['--profile before the command', ['--profile', 'y', 'call', 'acme', '/me'], {}, 'y'],
  ])('uses %s', async (_name, argv, env, profile) => {
    const { seen, runners } = spy()
    expect(await runCli(argv, makeTestDeps({ env, files }), runners)).toBe(0)
    expect(seen[0]).toMatchObject({ profile })
  })

  it('passes --min-ttl to token in seconds', async () => {
    const { seen, runners } = spy()
    await runCli(['token', 'acme', '--min-ttl', '7200'], makeTestDeps({ files }), runners)
    expect(seen[0]).toMatchObject({ provider: 'acme', minTtlSeconds: 7200 })
  })

  it('gives status every profile unless one is named', async () => {
    const { seen, runners } = spy()
    await runCli(['status'], makeTestDeps({ files }), runners)
    await runCli(['status', '--profile', 'work'], makeTestDeps({ files }), runners)
    await runCli(['status'], makeTestDeps({ files, env: { OAUTH_CLI_PROFILE: 'ci' } }), runners)
    expect(seen.map((o) => o.profile)).toEqual([undefined, 'work', 'ci'])
  })

  it('gives import the --profile flag only, never a default', async () => {
    const { seen, runners } = spy()
    await runCli(['import'], makeTestDeps({ files }), runners)
    await runCli(['import', '--profile', 'ci'], makeTestDeps({ files }), runners)
    expect(seen.map((o) => o.profile)).toEqual([undefined, 'ci'])
  })

  it('reports a malformed profiles.json as a configuration error', async () => {
    const { runners } = spy()
    const deps = makeTestDeps({ files: { [PATH]: '{ nope' } })
    await expect(runCli(['token', 'acme'], deps, runners)).rejects.toThrow(/profiles\.json is not valid JSON/)
  })
})

describe('the profile command words', () => {
  const listed: string[] = []
  const runners: Partial<Runners> = {
    profileList: async (opts) => (listed.push(JSON.stringify({ json: opts.json })), 0),
    profileUse: async () => 0,
  }

  it.each([[['profile']], [['profile', '--json']], [['profile', 'list']], [['--json', 'profile', 'list']], [['profile', 'list', '--json']]])(
    '%j lists',
    async (argv) => {
      listed.length = 0
      expect(await runCli(argv, makeTestDeps(), runners)).toBe(0)
      expect(listed).toEqual([JSON.stringify({ json: argv.includes('--json') })])
    },
  )

  it('a word that is neither use nor list is an unknown command of profile, with did-you-mean (exit 2)', async () => {
    const error = await runCli(['profile', 'uss', 'acme', 'work'], makeTestDeps(), runners).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toBe("unknown command 'profile uss'")
    expect((error as UsageError).hint).toBe('did you mean "use"?\nrun: oauth-cli profile --help')
  })

  it.each([
    [['profile', 'use'], 'use'],
    [['profile', 'use', 'acme'], 'use'],
    [['--profile', 'w', 'profile', 'use', '--bogus'], 'use'],
    [['profile', 'list', 'x'], 'list'],
  ])('%j points at the help of the subcommand that refused it', async (argv, sub) => {
    const error = await runCli(argv, makeTestDeps(), runners).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).hint).toMatch(new RegExp(`(^|\\n)run: oauth-cli profile ${sub} --help$`))
  })

  it.each([[['profile', 'list', 'x']], [['profile', 'use', 'acme', 'work', 'x']]])('%j: too many arguments (exit 2)', async (argv) => {
    const error = await runCli(argv, makeTestDeps(), runners).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toMatch(/^too many arguments for '(list|use)'/)
  })
})
