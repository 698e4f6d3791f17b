/**
 * The XDG base directories: a variable holding an absolute path places the
 * tool's files; an empty or relative one is invalid and ignored, as the XDG
 * Base Directory spec says (bug hunt, session 6: XDG_DATA_HOME=rel put the
 * credentials under ./rel of whatever directory a command ran in).
 */
import { describe, expect, it } from 'vitest'
import { resolvePaths } from '../../../src/platform/paths'
import { profilesFilePath } from '../../../src/session/profiles'

const HOME = '/home/dev'

describe('resolvePaths', () => {
  it('puts everything under the XDG directories the environment names', () => {
    const paths = resolvePaths({ XDG_CONFIG_HOME: '/x/config', XDG_DATA_HOME: '/x/data', XDG_STATE_HOME: '/x/state' }, HOME)
    expect(paths).toEqual({
      configFile: '/x/config/oauth-cli/config.json',
      configDir: '/x/config/oauth-cli',
      dataDir: '/x/data/oauth-cli',
      lockDir: '/x/data/oauth-cli/locks',
      stateDir: '/x/state/oauth-cli',
    })
    expect(profilesFilePath({ XDG_CONFIG_HOME: '/x/config' }, HOME)).toBe('/x/config/oauth-cli/profiles.json')
  })

  it.each([['unset', undefined], ['empty', ''], ['relative', 'rel'], ['relative with a dot', './rel/dir']])(
    'ignores an XDG variable that is %s and uses the default under home',
    (_what, value) => {
      const env = { XDG_CONFIG_HOME: value, XDG_DATA_HOME: value, XDG_STATE_HOME: value }
      expect(resolvePaths(env, HOME)).toMatchObject({
        configFile: '/home/dev/.config/oauth-cli/config.json',
        dataDir: '/home/dev/.local/share/oauth-cli',
        stateDir: '/home/dev/.local/state/oauth-cli',
      })
      expect(profilesFilePath(env, HOME)).toBe('/home/dev/.config/oauth-cli/profiles.json')
    },
  )

  it('still takes --config and OAUTH_CLI_CONFIG as given (a path the user named, relative to where they are)', () => {
    expect(resolvePaths({ OAUTH_CLI_CONFIG: 'conf.json' }, HOME).configFile).toBe('conf.json')
    expect(resolvePaths({}, HOME, 'my.json').configFile).toBe('my.json')
  })
})
