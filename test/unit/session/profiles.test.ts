import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/providers/errors'
import {
  chooseProfile,
  parseProfilesFile,
  profilesFilePath,
  resolveProfile,
  serializeProfilesFile,
  withDefaultProfile,
} from '../../../src/session/profiles'

const PATH = '/home/test/.config/oauth-cli/profiles.json'
const file = { default_profiles: { livechat: 'work' } }

describe('chooseProfile', () => {
  it.each([
    ['--profile beats everything', { flag: 'cli', env: { OAUTH_CLI_PROFILE: 'ci' } }, 'livechat', { profile: 'cli', source: 'flag' }],
    ['OAUTH_CLI_PROFILE beats profiles.json', { env: { OAUTH_CLI_PROFILE: 'ci' } }, 'livechat', { profile: 'ci', source: 'env' }],
    ['profiles.json names the provider\'s default', { env: {} }, 'livechat', { profile: 'work', source: 'profiles_file' }],
    ['an empty OAUTH_CLI_PROFILE counts as unset', { env: { OAUTH_CLI_PROFILE: '' } }, 'livechat', { profile: 'work', source: 'profiles_file' }],
    ['a provider without an entry uses "default"', { env: {} }, 'tidio', { profile: 'default', source: 'built-in' }],
    ['inherited object keys are no entries', { env: {} }, 'toString', { profile: 'default', source: 'built-in' }],
  ] as const)('%s', (_name, input, provider, expected) => {
    expect(chooseProfile({ provider, file, ...input })).toEqual(expected)
  })

  it('refuses an OAUTH_CLI_PROFILE that could not be a profile name', () => {
    expect(() => chooseProfile({ provider: 'acme', env: { OAUTH_CLI_PROFILE: '../etc' }, file })).toThrow(ConfigError)
  })
})

describe('withDefaultProfile', () => {
  it('sets a provider\'s default and keeps the others, sorted by provider', () => {
    expect(withDefaultProfile(file, 'acme', 'ci')).toEqual({ default_profiles: { acme: 'ci', livechat: 'work' } })
  })

  it('removes the entry when the default is set back to "default"', () => {
    expect(withDefaultProfile(file, 'livechat', 'default')).toEqual({ default_profiles: {} })
  })

  it('does not change the file it was given', () => {
    withDefaultProfile(file, 'livechat', 'other')
    expect(file).toEqual({ default_profiles: { livechat: 'work' } })
  })
})

describe('parseProfilesFile', () => {
  it('reads what serializeProfilesFile writes', () => {
    expect(parseProfilesFile(serializeProfilesFile(file), PATH)).toEqual(file)
  })

  it.each([undefined, '', '  \n'])('treats a missing or empty file (%j) as no defaults', (text) => {
    expect(parseProfilesFile(text, PATH)).toEqual({ default_profiles: {} })
  })

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['an array', '[]', /not a JSON object/],
    ['default_profiles not an object', '{"default_profiles":[]}', /"default_profiles"/],
    ['a bad profile name', '{"default_profiles":{"acme":"a b"}}', /invalid profile name for "acme"/],
    ['a profile that is not a string', '{"default_profiles":{"acme":3}}', /invalid profile name/],
  ])('refuses %s, naming the file', (_name, text, reason) => {
    let caught: unknown
    try {
      parseProfilesFile(text, PATH)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(ConfigError)
    expect((caught as ConfigError).message).toMatch(reason)
    expect((caught as ConfigError).message).toContain(PATH)
  })
})

describe('profilesFilePath', () => {
  it('lives in $XDG_CONFIG_HOME/oauth-cli, else ~/.config/oauth-cli', () => {
    expect(profilesFilePath({ XDG_CONFIG_HOME: '/xdg' }, '/home/u')).toBe('/xdg/oauth-cli/profiles.json')
    expect(profilesFilePath({}, '/home/u')).toBe('/home/u/.config/oauth-cli/profiles.json')
  })
})

describe('resolveProfile', () => {
  function reader(text: string | undefined) {
    const reads: string[] = []
    const deps = {
      env: {} as Record<string, string>,
      homedir: '/home/test',
      readTextFile: async (path: string) => {
        reads.push(path)
        return text
      },
    }
    return { deps, reads }
  }

  it('reads profiles.json when neither flag nor environment decides', async () => {
    const { deps, reads } = reader('{"default_profiles":{"acme":"work"}}')
    expect(await resolveProfile('acme', undefined, deps)).toEqual({ profile: 'work', source: 'profiles_file' })
    expect(reads).toEqual([PATH])
  })

  it('does not read the file when --profile is given', async () => {
    const { deps, reads } = reader('{ broken')
    expect(await resolveProfile('acme', 'other', deps)).toEqual({ profile: 'other', source: 'flag' })
    expect(reads).toEqual([])
  })

  it('does not read the file when OAUTH_CLI_PROFILE is set', async () => {
    const { deps, reads } = reader('{ broken')
    deps.env.OAUTH_CLI_PROFILE = 'ci'
    expect(await resolveProfile('acme', undefined, deps)).toEqual({ profile: 'ci', source: 'env' })
    expect(reads).toEqual([])
  })
})
