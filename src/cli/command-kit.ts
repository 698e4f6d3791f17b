/**
 * What every command definition is built with (gh's cmdutil.Factory): the
 * Deps, the root program, the option table turned into commander options and
 * back into typed values, and `act`, which runs a command's run half.
 */
import { CommanderError, InvalidArgumentError, Option, type Command } from 'commander'
import type { Deps } from './deps'
import { rememberContext } from './error-context'
import type { ExitCode } from './errors'
import {
  attributeName,
  COMMON_FLAGS,
  isNegated,
  JSON_FLAG,
  MissingValueError,
  OptionValueError,
  readValue,
  takesValue,
  type CommonOptions,
  type Flag,
  type FlagTable,
  type FlagValues,
  type ProviderCommandOptions,
} from './options'

export interface CommandContext {
  deps: Deps
  program: Command
  /** A new subcommand of the program, with its one-line description. */
  command(name: string, description: string): Command
  /** The common options of `cmd` (its own over the root's), with the profile `act` resolved. */
  common(cmd: Command): CommonOptions
  /** The common options as given: `profile` undefined when neither `--profile` was. */
  given(cmd: Command): Omit<CommonOptions, 'profile'> & { profile?: string }
  /**
   * Runs a command's run half and keeps its exit code. With `provider`, first
   * resolves the profile (--profile, OAUTH_CLI_PROFILE, profiles.json,
   * "default") and tags an escaping error with provider and profile.
   */
  act(run: () => Promise<ExitCode>, cmd?: Command, provider?: string): Promise<void>
}

export function createCommandContext(deps: Deps, program: Command, setCode: (code: ExitCode) => void): CommandContext {
  const profiles = new WeakMap<Command, string>()
  const given = (cmd: Command): ReturnType<CommandContext['given']> => {
    const root = readFlags(program, { ...COMMON_FLAGS, ...JSON_FLAG })
    const own = readFlags(cmd, { ...COMMON_FLAGS, ...JSON_FLAG })
    return {
      profile: own.profile ?? root.profile,
      json: own.json || root.json,
      verbose: own.verbose || root.verbose,
      config: own.config ?? root.config,
      store: own.store ?? root.store ?? 'auto',
    }
  }
  const common = (cmd: Command): CommonOptions => {
    const { profile, ...rest } = given(cmd)
    return { ...rest, profile: profiles.get(cmd) ?? profile ?? 'default' }
  }
  const act = async (run: () => Promise<ExitCode>, cmd?: Command, provider?: string): Promise<void> => {
    try {
      if (cmd && provider) {
        const { resolveProfile } = await import('../session/profiles')
        profiles.set(cmd, (await resolveProfile(provider, given(cmd).profile, deps)).profile)
      }
      setCode(await run())
    } catch (err) {
      if (cmd && provider) {
        const { profile, store, config } = common(cmd)
        throw rememberContext(err, { provider, profile, store, config })
      }
      throw err
    }
  }
  const command = (name: string, description: string): Command => program.command(name).description(description)
  return { deps, program, command, common, given, act }
}

/** What tells one `<command> <provider>` from another. */
export interface ProviderCommandSpec<Table extends FlagTable> {
  name: string
  description: string
  /** Its own rows of the option table, beside the common ones. */
  flags: Table
  /** The help text after the options (`Examples:` …). */
  examples: string
  /** false: no `--json` (the command's output has one shape only). */
  json?: boolean
  /** The `--profile` row in place of the common one (logout's takes any stored name). */
  profile?: Flag<string | undefined>
}

/**
 * A `<command> <provider>` (login, token, refresh, logout, export): the common
 * options and its own flag rows declared, and an action that hands `run` the
 * typed options, the profile resolved and an escaping error tagged with
 * provider and profile (`act`).
 */
export function defineProviderCommand<Table extends FlagTable>(
  ctx: CommandContext,
  spec: ProviderCommandSpec<Table>,
  run: (opts: ProviderCommandOptions & FlagValues<Table>, deps: Deps) => Promise<ExitCode>,
): Command {
  const cmd = addCommonOptions(ctx.command(spec.name, spec.description).argument('<provider>'), { json: spec.json ?? true, profile: spec.profile })
  return addFlags(cmd, spec.flags)
    .addHelpText('after', spec.examples)
    .action((provider: string, _o: unknown, given: Command) =>
      ctx.act(() => run({ ...ctx.common(given), provider, ...readFlags(given, spec.flags) }, ctx.deps), given, provider),
    )
}

/** Declares the common options (and `--json` unless `json: false`) on `cmd`; `profile`: another `--profile` row. */
export function addCommonOptions(cmd: Command, which: { json: boolean; profile?: Flag<string | undefined> | undefined } = { json: true }): Command {
  addFlags(cmd, which.profile ? { ...COMMON_FLAGS, profile: which.profile } : COMMON_FLAGS)
  if (which.json) addFlags(cmd, JSON_FLAG)
  return cmd
}

/** Declares a table's rows on `cmd`, in order. */
export function addFlags(cmd: Command, table: FlagTable): Command {
  for (const row of Object.values(table)) cmd.addOption(toOption(row))
  return cmd
}

/** The values completion offers for an option whose row has choices (see `Flag.choices`). */
const OFFERED = new WeakMap<Option, readonly string[]>()

export function offeredValues(option: Option): readonly string[] | undefined {
  return OFFERED.get(option)
}

function toOption(row: Flag): Option {
  const option = new Option(row.flags, row.description)
  if (row.choices) OFFERED.set(option, row.choices)
  // Commander's choices would also say "(choices: …)" in help and refuse what `parse` accepts besides them.
  if (row.choices && !row.parse) option.choices(row.choices)
  // Every value goes through readValue, which also refuses an option taken for a value (`--scope --profile w`).
  if (takesValue(row)) {
    option.argParser((value: string, previous: unknown) => {
      const parsed = parseValue(row, value)
      // No commander default for a repeatable flag (help would say "(default: [])"): readFlags gives [] instead.
      if (row.repeatable) return [...((previous as unknown[] | undefined) ?? []), parsed]
      // A variadic flag (`--scope <scope...>`): commander adds up the values only when there is no parser.
      if (option.variadic) return Array.isArray(previous) && previous !== option.defaultValue ? [...previous, parsed] : [parsed]
      return parsed
    })
  }
  if (row.default !== undefined) option.default(row.default)
  return option
}

/** readValue, its refusals as commander reports its own. */
function parseValue(row: Flag, value: string): unknown {
  try {
    return readValue(row, value)
  } catch (err) {
    if (!(err instanceof OptionValueError)) throw err
    if (err instanceof MissingValueError) throw new CommanderError(2, 'commander.optionMissingArgument', err.message)
    if (err.shown === undefined) throw new InvalidArgumentError(err.message)
    // Commander's own message would repeat the whole value.
    throw new CommanderError(2, 'oauth-cli.invalidArgument', `option '${row.flags}' argument '${err.shown}' is invalid: ${err.message}`)
  }
}

/**
 * The typed values of a table's rows on `cmd`. A switch is true only when
 * given (false for a `--no-x` switch when given); a global-only common row
 * reads as given.
 */
export function readFlags<Table extends FlagTable>(cmd: Command, table: Table): FlagValues<Table> {
  const opts = cmd.opts<Record<string, unknown>>()
  const values: Record<string, unknown> = {}
  for (const [key, row] of Object.entries(table)) {
    const value = opts[attributeName(row)]
    values[key] = row.repeatable ? (value ?? []) : takesValue(row) ? value : isNegated(row) ? value !== false : value === true
  }
  return values as FlagValues<Table>
}
