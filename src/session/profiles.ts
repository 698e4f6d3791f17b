/**
 * Which profile a provider command uses, and the default profile per provider
 * kept in `$XDG_CONFIG_HOME/oauth-cli/profiles.json`
 * (`{"default_profiles":{"livechat":"work"}}`). Resolution is pure; reading and
 * writing the file are the thin I/O at the bottom.
 */
import { byCodeUnits } from '../platform/sort'
import { join } from 'node:path'
import type { Env, SessionDeps } from './deps'
import { ConfigError } from '../providers/errors'
import { parseJsonOrUndefined } from '../platform/json'
import { randomHex } from '../platform/unique-name'
import { resolvePaths } from '../platform/paths'

/** The profile used when nothing else names one. */
export const DEFAULT_PROFILE = 'default'

/** The profile named by the environment when `--profile` is absent. */
export const PROFILE_ENV = 'OAUTH_CLI_PROFILE'

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export interface ProfilesFile {
  /** Provider name → its default profile. A provider without an entry uses `default`. */
  default_profiles: Record<string, string>
}

export type ProfileSource = 'flag' | 'env' | 'profiles_file' | 'built-in'

export interface ProfileChoice {
  profile: string
  source: ProfileSource
}

/** Same rule as `--profile`: it becomes part of a keychain account and a file name. */
export function isValidProfileName(name: string): boolean {
  return PROFILE_NAME.test(name)
}

/**
 * `--profile` beats `OAUTH_CLI_PROFILE`, which beats the provider's default
 * from profiles.json, which beats `default`.
 */
export function chooseProfile(input: {
  provider: string
  flag?: string
  env: Env
  file: ProfilesFile
}): ProfileChoice {
  if (input.flag !== undefined) return { profile: input.flag, source: 'flag' }
  const fromEnv = envProfile(input.env)
  if (fromEnv !== undefined) return { profile: fromEnv, source: 'env' }
  const saved = Object.hasOwn(input.file.default_profiles, input.provider)
    ? input.file.default_profiles[input.provider]
    : undefined
  if (saved !== undefined) return { profile: saved, source: 'profiles_file' }
  return { profile: DEFAULT_PROFILE, source: 'built-in' }
}

/** `OAUTH_CLI_PROFILE`, checked like `--profile`; undefined when unset or empty. */
export function envProfile(env: Env): string | undefined {
  const value = env[PROFILE_ENV]
  if (value === undefined || value === '') return undefined
  if (!isValidProfileName(value)) {
    throw new ConfigError('invalid_value', `${PROFILE_ENV} is not a valid profile name`, {
      hint: 'use letters, digits, ".", "_" or "-" (at most 64), or unset it',
    })
  }
  return value
}

/** Pure: the file with `provider`'s default set; `default` removes the entry. */
export function withDefaultProfile(file: ProfilesFile, provider: string, profile: string): ProfilesFile {
  const next = Object.fromEntries(Object.entries(file.default_profiles).filter(([name]) => name !== provider))
  if (profile !== DEFAULT_PROFILE) next[provider] = profile
  return { default_profiles: Object.fromEntries(Object.entries(next).sort(([a], [b]) => byCodeUnits(a, b))) }
}

/** Parses profiles.json; a missing file is an empty one. Errors name the file, never guess. */
export function parseProfilesFile(text: string | undefined, path: string): ProfilesFile {
  if (text === undefined || text.trim() === '') return { default_profiles: {} }
  const broken = (what: string): ConfigError =>
    new ConfigError('malformed_config', `${path} ${what}`, {
      hint: `fix or remove ${path}, or run: oauth-cli profile use <provider> <profile>`,
    })
  const value = parseJsonOrUndefined(text)
  if (value === undefined) throw broken('is not valid JSON')
  if (!isObject(value)) throw broken('is not a JSON object')
  const defaults = value.default_profiles ?? {}
  if (!isObject(defaults)) throw broken('has a "default_profiles" that is not an object')
  for (const [provider, profile] of Object.entries(defaults)) {
    if (typeof profile !== 'string' || !isValidProfileName(profile)) {
      throw broken(`has an invalid profile name for "${provider}"`)
    }
  }
  return { default_profiles: { ...(defaults as Record<string, string>) } }
}

export function serializeProfilesFile(file: ProfilesFile): string {
  return `${JSON.stringify(file, null, 2)}\n`
}

/** `$XDG_CONFIG_HOME/oauth-cli/profiles.json`, beside (not inside) any `--config` file. */
export function profilesFilePath(env: Env, homedir: string): string {
  return join(resolvePaths(env, homedir).configDir, 'profiles.json')
}

export async function readProfilesFile(deps: Pick<SessionDeps, 'env' | 'homedir' | 'readTextFile'>): Promise<ProfilesFile> {
  const path = profilesFilePath(deps.env, deps.homedir)
  return parseProfilesFile(await deps.readTextFile(path), path)
}

/**
 * The profile for a command on `provider`. profiles.json is read only when
 * neither `--profile` nor `OAUTH_CLI_PROFILE` decides.
 */
export async function resolveProfile(
  provider: string,
  flag: string | undefined,
  deps: Pick<SessionDeps, 'env' | 'homedir' | 'readTextFile'>,
): Promise<ProfileChoice> {
  const decided = flag !== undefined || envProfile(deps.env) !== undefined
  const file = decided ? { default_profiles: {} } : await readProfilesFile(deps)
  return chooseProfile({ provider, flag, env: deps.env, file })
}

/**
 * Writes profiles.json atomically (temp file created 0600, then renamed over):
 * a reader sees the old file or the new one. Node I/O is loaded only here.
 */
export async function writeProfilesFile(path: string, file: ProfilesFile): Promise<void> {
  const [{ mkdir, open, rename, unlink }, { dirname }] = await Promise.all([import('node:fs/promises'), import('node:path')])
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const temp = `${path}.${randomHex(6)}.tmp`
  try {
    const handle = await open(temp, 'wx', 0o600)
    try {
      await handle.writeFile(serializeProfilesFile(file), 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (err) {
    await unlink(temp).catch(() => undefined)
    throw err
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
