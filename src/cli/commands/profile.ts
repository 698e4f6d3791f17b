/**
 * `oauth-cli profile use <provider> <name>` and `oauth-cli profile list`: the
 * default profile per provider, kept in profiles.json. `--profile` and
 * OAUTH_CLI_PROFILE still win over it.
 */
import { reasonOf } from '../../platform/io'
import { byCodeUnits } from '../../platform/sort'
import { listProviders } from '../../providers/resolve'
import {
  chooseProfile,
  DEFAULT_PROFILE,
  isValidProfileName,
  profilesFilePath,
  readProfilesFile,
  withDefaultProfile,
  writeProfilesFile,
  type ProfileSource,
} from '../../session/profiles'
import { loadProvider, readConfig } from '../../session/provider-context'
import type { Deps } from '../deps'
import { CliError, UsageError, type ExitCode } from '../errors'
import { paint, renderJson } from '../render'
import { hintWithSuggestion } from '../suggest'
import type { Command } from 'commander'
import { addCommonOptions, type CommandContext } from '../command-kit'
import type { CommonOptions } from '../options'

export interface ProfileUseOptions extends Omit<CommonOptions, 'profile'> {
  provider: string
  /** `default` resets the provider to the built-in default. */
  name: string
}

export type ProfileListOptions = Omit<CommonOptions, 'profile'>

export function defineProfile(
  ctx: CommandContext,
  runUse: (opts: ProfileUseOptions, deps: Deps) => Promise<ExitCode> = executeProfileUse,
  runList: (opts: ProfileListOptions, deps: Deps) => Promise<ExitCode> = executeProfileList,
): Command {
  // Plain `profile` lists; any other word is an unknown command of profile (a default `list` subcommand
  // would take it as list's argument: "too many arguments for 'list'").
  const profile = addCommonOptions(ctx.command('profile', 'the profile each provider uses without --profile (kept in profiles.json)'))
    .usage('[options] [command]')
    // Variadic, not allowExcessArguments(): that setting would pass on to use and list.
    .argument('[command...]')
    .addHelpText('after', PROFILE_EXAMPLES)
    .action(([word]: string[], _o: unknown, cmd: Command) => {
      if (word !== undefined) {
        const hint = hintWithSuggestion(word, PROFILE_COMMANDS, 'run: oauth-cli profile --help')
        throw new UsageError(`unknown command 'profile ${word}'`, { hint })
      }
      return ctx.act(() => runList(ctx.common(cmd), ctx.deps))
    })
  addCommonOptions(profile.command('use').argument('<provider>').argument('<name>'))
    .description('make <name> the default profile of <provider>; "default" resets it')
    .addHelpText('after', PROFILE_EXAMPLES)
    .action((provider: string, name: string, _o: unknown, cmd: Command) =>
      ctx.act(() => runUse({ ...ctx.common(cmd), provider, name }, ctx.deps)),
    )
  addCommonOptions(profile.command('list'))
    .description('list providers with the profile each uses by default (also plain `oauth-cli profile`)')
    .action((_o: unknown, cmd: Command) => ctx.act(() => runList(ctx.common(cmd), ctx.deps)))
  return profile
}

const PROFILE_COMMANDS = ['use', 'list']

const PROFILE_EXAMPLES = `
Examples:
  oauth-cli profile use livechat work     # livechat now means profile work
  oauth-cli profile use livechat default  # back to the built-in default
  oauth-cli profile list
`

export interface ProfileRow {
  provider: string
  /** The profile a command on this provider uses without `--profile`. */
  default_profile: string
  source: ProfileSource
}

/** Sets (or with `default`, resets) the provider's default profile; returns the row as it now stands. */
export async function runProfileUse(opts: ProfileUseOptions, deps: Deps): Promise<ProfileRow & { path: string }> {
  if (!isValidProfileName(opts.name)) {
    throw new UsageError(`"${opts.name}" is not a valid profile name`, { hint: 'use letters, digits, ".", "_" or "-" (at most 64)' })
  }
  // Resolving catches a mistyped provider (exit 2, with the known names).
  const provider = await loadProvider(opts.provider, { config: opts.config }, deps)
  const path = profilesFilePath(deps.env, deps.homedir)
  const file = withDefaultProfile(await readProfilesFile(deps), provider.name, opts.name)
  try {
    await writeProfilesFile(path, file)
  } catch (err) {
    const reason = reasonOf(err)
    throw new CliError(`cannot write ${path}: ${reason}`, { hint: 'check that the directory is writable', cause: err })
  }
  const choice = chooseProfile({ provider: provider.name, env: deps.env, file })
  return { provider: provider.name, default_profile: choice.profile, source: choice.source, path }
}

/** Every known provider (and any named only in profiles.json) with the profile it uses by default. */
export async function runProfileList(opts: ProfileListOptions, deps: Deps): Promise<ProfileRow[]> {
  const [config, file] = await Promise.all([readConfig(deps, opts.config), readProfilesFile(deps)])
  const names = new Set([...listProviders(config).map((p) => p.name), ...Object.keys(file.default_profiles)])
  return [...names]
    .sort((a, b) => byCodeUnits(a, b))
    .map((provider) => {
      const choice = chooseProfile({ provider, env: deps.env, file })
      return { provider, default_profile: choice.profile, source: choice.source }
    })
}

const SOURCE_LABEL: Record<ProfileSource, string> = {
  flag: '--profile',
  env: 'OAUTH_CLI_PROFILE',
  profiles_file: 'profile use',
  // Nobody chose one: the profile is "default" (for a config-file provider too, so not "built-in").
  'built-in': 'not set',
}

export function renderProfiles(rows: ProfileRow[]): string {
  const head = ['PROVIDER', 'DEFAULT PROFILE', 'SET BY']
  const table = rows.map((r) => [r.provider, r.default_profile, SOURCE_LABEL[r.source]])
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return `${[head, ...table].map(line).join('\n')}\n`
}

export async function executeProfileUse(opts: ProfileUseOptions, deps: Deps): Promise<ExitCode> {
  const row = await runProfileUse(opts, deps)
  if (opts.json) deps.io.stdout.write(renderJson({ provider: row.provider, default_profile: row.default_profile, source: row.source }))
  const p = paint(deps.io.color)
  const what = opts.name === DEFAULT_PROFILE ? 'reset to "default"' : `set to "${opts.name}"`
  let text = `${p.green('✓')} Default profile for ${row.provider} ${what} (${row.path})\n`
  if (row.source === 'env') text += `note: OAUTH_CLI_PROFILE is set, so it still wins: commands use "${row.default_profile}"\n`
  if (!(await isStored(row.provider, opts.name, opts, deps))) {
    text += `note: nothing is stored for ${row.provider} (profile ${opts.name}) yet; log in with: oauth-cli login ${row.provider}\n`
  }
  deps.io.stderr.write(text)
  return 0
}

/** Whether a credential is stored there; a store that cannot be opened says nothing either way (true). */
async function isStored(provider: string, profile: string, opts: ProfileUseOptions, deps: Deps): Promise<boolean> {
  try {
    const store = await deps.openStore(opts.store)
    return (await store.get({ provider, profile })).status === 'found'
  } catch {
    return true
  }
}

export async function executeProfileList(opts: ProfileListOptions, deps: Deps): Promise<ExitCode> {
  const rows = await runProfileList(opts, deps)
  deps.io.stdout.write(opts.json ? renderJson(rows) : renderProfiles(rows))
  return 0
}
