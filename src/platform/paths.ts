/** Where things live on disk (XDG base directories; shared/SPEC.md). Pure. */
import { isAbsolute, join } from 'node:path'

export interface Paths {
  /** `--config` else `$OAUTH_CLI_CONFIG` else `$XDG_CONFIG_HOME/oauth-cli/config.json`. */
  configFile: string
  /** `$XDG_CONFIG_HOME/oauth-cli`: the default config file and profiles.json. */
  configDir: string
  /** The file store and lock files live here: `$XDG_DATA_HOME/oauth-cli`. */
  dataDir: string
  lockDir: string
  /** `$XDG_STATE_HOME/oauth-cli`: what the tool remembers about this machine (a keychain fall-back). */
  stateDir: string
}

export function resolvePaths(
  env: Readonly<Record<string, string | undefined>>,
  homedir: string,
  configFlag?: string,
): Paths {
  const configDir = join(baseDir(env.XDG_CONFIG_HOME, homedir, '.config'), 'oauth-cli')
  const dataDir = join(baseDir(env.XDG_DATA_HOME, homedir, '.local', 'share'), 'oauth-cli')
  return {
    configFile: configFlag || env.OAUTH_CLI_CONFIG || join(configDir, 'config.json'),
    configDir,
    dataDir,
    lockDir: join(dataDir, 'locks'),
    stateDir: join(baseDir(env.XDG_STATE_HOME, homedir, '.local', 'state'), 'oauth-cli'),
  }
}

/**
 * An XDG base directory: the variable's value when it is an absolute path,
 * else the default under home. A relative one is invalid and ignored, as the
 * XDG Base Directory spec says (it would put credentials wherever the command
 * happens to run).
 * @see https://specifications.freedesktop.org/basedir-spec/latest/
 */
function baseDir(value: string | undefined, homedir: string, ...fallback: string[]): string {
  return value && isAbsolute(value) ? value : join(homedir, ...fallback)
}
