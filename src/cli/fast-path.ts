/**
 * The start-up fast path for the commands scripts run in loops: `--version`
 * and `token <provider>`. It reads the same option table as commander
 * (`options.ts`), recognises only the exact forms it understands and answers
 * undefined for anything else, which then goes through the full commander
 * tree. A unit test checks that both parse every accepted form to the same
 * options.
 */
import type { TokenOptions } from './commands/token'
import { COMMON_FLAGS, GLOBAL_ONLY, JSON_FLAG, longName, readValue, takesValue, TOKEN_FLAGS, type Flag } from './options'

/** What the fast path accepted: the token options before profile resolution. */
export type FastToken = Omit<TokenOptions, 'profile'> & { profile?: string }

export function isVersionRequest(argv: readonly string[]): boolean {
  return argv.length === 1 && argv[0] === '--version'
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

/** Rows accepted before `token` (the root's) and after it (the root's and its own). */
const ROOT_ROWS: readonly Row[] = Object.entries({ ...COMMON_FLAGS, ...JSON_FLAG })
const TOKEN_ROWS: readonly Row[] = [...ROOT_ROWS, ...Object.entries(TOKEN_FLAGS)]

export function parseTokenFastPath(argv: readonly string[]): FastToken | undefined {
  const opts: Record<string, unknown> = { provider: '', json: false, verbose: false, store: 'auto' }
  let seenCommand = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!arg.startsWith('-')) {
      if (!seenCommand && arg === 'token') seenCommand = true
      else if (seenCommand && opts.provider === '') opts.provider = arg
      else return undefined
      continue
    }
    const found = (seenCommand ? TOKEN_ROWS : ROOT_ROWS).find(([, row]) => longName(row) === arg)
    if (!found) return undefined
    const [key, row] = found
    if (!takesValue(row)) {
      if (!GLOBAL_ONLY.has(key as keyof typeof COMMON_FLAGS)) opts[key] = true
      continue
    }
    const value = optionValue(row, argv[++i])
    if (value === undefined) return undefined
    if (!GLOBAL_ONLY.has(key as keyof typeof COMMON_FLAGS)) opts[key] = value
  }
  return seenCommand && opts.provider !== '' ? (opts as unknown as FastToken) : undefined
}

/** The value as commander would read it; undefined (give up) when missing, dash-led or breaking its rule. */
function optionValue(row: Flag, text: string | undefined): unknown {
  if (text === undefined || text.startsWith('-')) return undefined
  try {
    return readValue(row, text)
  } catch {
    return undefined
  }
}
