/**
 * A throw-away HOME for one end-to-end test: XDG directories under a fresh
 * temp dir, the file store, no colour, and helpers to write a config file and
 * small executable scripts (such as a `$BROWSER`).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

export interface TempHome {
  home: string
  /** HOME, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_STATE_HOME, OAUTH_CLI_STORE=file, NO_COLOR=1 (and OAUTH_CLI_CONFIG after writeConfig). */
  env: Record<string, string>
  /** Writes the config (an object as JSON, or raw text) and points OAUTH_CLI_CONFIG at it. */
  writeConfig(config: object | string): string
  /** Writes an executable file under the home and returns its absolute path. */
  writeExecutable(name: string, content: string): string
  cleanup(): void
}

export function makeTempHome(): TempHome {
  const home = mkdtempSync(join(tmpdir(), 'oauth-cli-e2e-'))
  const dir = (...parts: string[]): string => {
    const path = join(home, ...parts)
    mkdirSync(path, { recursive: true })
    return path
  }
  const env: Record<string, string> = {
    HOME: home,
    XDG_CONFIG_HOME: dir('.config'),
    XDG_DATA_HOME: dir('.local', 'share'),
    XDG_STATE_HOME: dir('.local', 'state'),
    OAUTH_CLI_STORE: 'file',
    NO_COLOR: '1',
  }
  return {
    home,
    env,
    writeConfig(config) {
      const path = join(env.XDG_CONFIG_HOME!, 'oauth-cli', 'config.json')
      mkdirSync(dirname(path), { recursive: true })
      writeFileSync(path, typeof config === 'string' ? config : `${JSON.stringify(config, null, 2)}\n`)
      env.OAUTH_CLI_CONFIG = path
      return path
    },
    writeExecutable(name, content) {
      const path = join(dir('bin'), name)
      writeFileSync(path, content)
      chmodSync(path, 0o755)
      return path
    },
    cleanup() {
      rmSync(home, { recursive: true, force: true })
    },
  }
}
