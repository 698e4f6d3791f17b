/** Where things live on disk (XDG base directories; shared/SPEC.md). Pure. */
import { join } from 'node:path'

export interface Paths {
  /** `--config` else `$OAUTH_CLI_CONFIG` else `$XDG_CONFIG_HOME/oauth-cli/config.json`. */
  configFile: string
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
  const configHome = env.XDG_CONFIG_HOME || join(homedir, '.config')
  const dataHome = env.XDG_DATA_HOME || join(homedir, '.local', 'share')
  const dataDir = join(dataHome, 'oauth-cli')
  return {
    configFile: configFlag || env.OAUTH_CLI_CONFIG || join(configHome, 'oauth-cli', 'config.json'),
    dataDir,
    lockDir: join(dataDir, 'locks'),
    stateDir: join(env.XDG_STATE_HOME || join(homedir, '.local', 'state'), 'oauth-cli'),
  }
}
