/**
 * The start-up fast path for the commands scripts run in loops: `--version`,
 * `token <provider>`, and the read-only listings `status`, `providers` and `profile [list]`. It reads the same option table as commander
 * (`options.ts`), recognises only the exact forms it understands and answers
 * undefined for anything else, which then goes through the full commander
 * tree. A unit test checks that both parse every accepted form to the same
 * options.
 */
import type { ProfileListOptions } from './commands/profile'
import type { ProvidersOptions } from './commands/providers'
import type { StatusOptions } from './commands/status'
import type { TokenOptions } from './commands/token'
import type { CallOptions } from './commands/call'
import { CALL_FLAGS, COMMON_FLAGS, GLOBAL_ONLY, JSON_FLAG, longName, tryReadValue, takesValue, TOKEN_FLAGS, type Flag } from './options'

/** What the fast path accepted: the token options before profile resolution. */
export type FastToken = Omit<TokenOptions, 'profile'> & { profile?: string }

export function isVersionRequest(argv: readonly string[]): boolean {
  return argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version')
}

/**
 * Which precomputed help text answers argv: `--help`/`-h` alone (the root),
 * `<command> --help|-h`, or `help [command]`; undefined for anything else.
 */
export function helpKey(argv: readonly string[]): string | undefined {
  const [first, second, ...rest] = argv
  if (rest.length > 0) return undefined
  if (second === undefined) return first === '--help' || first === '-h' || first === 'help' ? '' : undefined
  if (first === 'help' && !second.startsWith('-')) return second
  if ((second === '--help' || second === '-h') && first !== undefined && !first.startsWith('-')) return first
  return undefined
}

type Row = readonly [key: string, row: Flag]

/** Rows accepted before the command (the root's) and after it (the root's and the command's own). */
const ROOT_ROWS: readonly Row[] = Object.entries({ ...COMMON_FLAGS, ...JSON_FLAG })
const TOKEN_ROWS: readonly Row[] = [...ROOT_ROWS, ...Object.entries(TOKEN_FLAGS)]
/** `call` declares the common rows without --json (its own --json takes the body). */
const CALL_ROWS: readonly Row[] = [...Object.entries(COMMON_FLAGS), ...Object.entries(CALL_FLAGS)]

/** `-X` of a row, when it has one. */
function shortName(row: Flag): string | undefined {
  return /^-\w\b/.exec(row.flags)?.[0]
}

/** A command the fast path can parse: its name, its own rows, and how many arguments it takes. */
interface FastCommand {
  name: string
  rows: readonly Row[]
  minArgs: number
  maxArgs: number
}

/**
 * Parses `[root flags] <name> [args] [flags]` with the option table, as
 * commander would; undefined for any form it does not know (commander then
 * explains). Common options given before and after the command: after wins.
 */
function parseFast(
  argv: readonly string[],
  command: FastCommand,
): { opts: Record<string, unknown>; args: string[]; argIndexes: number[]; commandIndex: number } | undefined {
  const opts: Record<string, unknown> = { json: false, verbose: false, store: 'auto' }
  // As commander reads them when not given: repeatable rows [], switches false.
  for (const [key, row] of command.rows) {
    if (row.repeatable) opts[key] = []
    else if (!takesValue(row) && !(key in opts) && !(key in COMMON_FLAGS)) opts[key] = false
  }
  const args: string[] = []
  const argIndexes: number[] = []
  let commandIndex = -1
  let seenCommand = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!arg.startsWith('-')) {
      if (!seenCommand && arg === command.name) {
        seenCommand = true
        commandIndex = i
      } else if (seenCommand && args.length < command.maxArgs) {
        args.push(arg)
        argIndexes.push(i)
      } else return undefined
      continue
    }
    const found = (seenCommand ? command.rows : ROOT_ROWS).find(([, row]) => longName(row) === arg || shortName(row) === arg)
    if (!found) return undefined
    const [key, row] = found
    if (!takesValue(row)) {
      if (!GLOBAL_ONLY.has(key as keyof typeof COMMON_FLAGS)) opts[key] = true
      continue
    }
    const value = optionValue(row, argv[++i])
    if (value === undefined) return undefined
    if (GLOBAL_ONLY.has(key as keyof typeof COMMON_FLAGS)) continue
    opts[key] = row.repeatable ? [...(opts[key] as unknown[]), value] : value
  }
  return seenCommand && args.length >= command.minArgs ? { opts, args, argIndexes, commandIndex } : undefined
}

export function parseTokenFastPath(argv: readonly string[]): FastToken | undefined {
  const parsed = parseFast(argv, { name: 'token', rows: TOKEN_ROWS, minArgs: 1, maxArgs: 1 })
  return parsed ? ({ ...parsed.opts, provider: parsed.args[0] } as unknown as FastToken) : undefined
}

/** What the fast path accepted for `call`: its options before profile resolution. */
export type FastCall = Omit<CallOptions, 'profile'> & { profile?: string }

export function parseCallFastPath(argv: readonly string[]): FastCall | undefined {
  const parsed = parseCommanderForms(argv, { name: 'call', rows: CALL_ROWS, minArgs: 2, maxArgs: 2 })
  if (!parsed) return undefined
  return { ...parsed.opts, json: false, provider: parsed.args[0], target: parsed.args[1] } as unknown as FastCall
}

/**
 * Parses `[root flags] <name> [args and flags]` as commander (with positional
 * options) reads it, in every form commander takes: `--name value`,
 * `--name=value`, `-X value`, `-Xvalue`, switches run together (`-is`, where
 * the last letter may take the rest or the next argument as its value:
 * `-iXPOST`, `-iX POST`), and `--`, after which everything is an argument.
 * Undefined where commander would fail or print help, and for a value that
 * starts with "-" (commander takes it, but scanGlobalFlags, which shapes Deps
 * first, could read it as a flag): commander then does it all.
 */
function parseCommanderForms(argv: readonly string[], command: FastCommand): { opts: Record<string, unknown>; args: string[] } | undefined {
  const opts: Record<string, unknown> = { json: false, verbose: false, store: 'auto' }
  for (const [key, row] of command.rows) {
    if (row.repeatable) opts[key] = []
    else if (!takesValue(row) && !(key in opts) && !(key in COMMON_FLAGS)) opts[key] = false
  }
  const args: string[] = []
  let seenCommand = false
  const queue = [...argv]
  for (let arg = queue.shift(); arg !== undefined; arg = queue.shift()) {
    if (arg === '--') {
      if (!seenCommand) return undefined
      args.push(...queue.splice(0))
      break
    }
    if (arg.length < 2 || !arg.startsWith('-')) {
      if (seenCommand) args.push(arg)
      else if (arg === command.name) seenCommand = true
      else return undefined
      continue
    }
    const rows = seenCommand ? command.rows : ROOT_ROWS
    let found: Row | undefined
    let value: string | undefined
    const exact = rows.find(([, row]) => longName(row) === arg || shortName(row) === arg)
    if (exact) {
      found = exact
      if (takesValue(exact[1])) {
        if (queue.length === 0) return undefined
        value = queue.shift()
      }
    } else if (arg[1] !== '-') {
      // `-abc`: the first letter's row; a switch puts `-bc` back, a row with a value takes `bc`.
      found = rows.find(([, row]) => shortName(row) === arg.slice(0, 2))
      if (found && takesValue(found[1])) value = arg.slice(2)
      else if (found) queue.unshift(`-${arg.slice(2)}`)
    } else {
      const at = arg.indexOf('=')
      found = at > 2 ? rows.find(([, row]) => longName(row) === arg.slice(0, at) && takesValue(row)) : undefined
      value = arg.slice(at + 1)
    }
    if (!found || value?.startsWith('-')) return undefined
    const [key, row] = found
    if (!takesValue(row)) {
      if (!GLOBAL_ONLY.has(key as keyof typeof COMMON_FLAGS)) opts[key] = true
      continue
    }
    const read = tryReadValue(row, value)
    if (read === undefined) return undefined
    if (GLOBAL_ONLY.has(key as keyof typeof COMMON_FLAGS)) continue
    opts[key] = row.repeatable ? [...(opts[key] as unknown[]), read] : read
  }
  const enough = args.length >= command.minArgs && args.length <= command.maxArgs
  return seenCommand && enough ? { opts, args } : undefined
}

/** `status [provider]`, `providers` and `profile [list]`: read-only listings the fast build answers (fast-listing.ts). */
export type FastListing =
  | { command: 'status'; opts: Omit<StatusOptions, 'profile'> & { profile?: string } }
  | { command: 'providers'; opts: Omit<ProvidersOptions, 'profile'> & { profile?: string } }
  | { command: 'profile list'; opts: ProfileListOptions }

export function parseListingFastPath(argv: readonly string[]): FastListing | undefined {
  const status = parseFast(argv, { name: 'status', rows: ROOT_ROWS, minArgs: 0, maxArgs: 1 })
  if (status) {
    const opts = { ...status.opts, ...(status.args[0] !== undefined ? { provider: status.args[0] } : {}) }
    return { command: 'status', opts: opts as FastListing['opts'] & Omit<StatusOptions, 'profile'> }
  }
  const providers = parseFast(argv, { name: 'providers', rows: ROOT_ROWS, minArgs: 0, maxArgs: 0 })
  if (providers) return { command: 'providers', opts: providers.opts as unknown as Omit<ProvidersOptions, 'profile'> }
  // `profile` runs its default subcommand `list`; commander takes flags after `profile` or after `list`, not between.
  const profile = parseFast(argv, { name: 'profile', rows: ROOT_ROWS, minArgs: 0, maxArgs: 1 })
  if (profile && (profile.args.length === 0 || (profile.args[0] === 'list' && profile.argIndexes[0] === profile.commandIndex + 1))) {
    return { command: 'profile list', opts: profile.opts as unknown as ProfileListOptions }
  }
  return undefined
}

/** The value as commander would read it; undefined (give up) when missing, dash-led or breaking its rule. */
function optionValue(row: Flag, text: string | undefined): unknown {
  return text?.startsWith('-') ? undefined : tryReadValue(row, text)
}
