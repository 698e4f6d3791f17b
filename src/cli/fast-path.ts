/**
 * The start-up fast path for the commands scripts run in loops: `--version`
 * and `token <provider>`. It recognises only the exact forms it understands
 * (the same flags and value rules commander applies) and answers undefined for
 * anything else, which then goes through the full commander tree. A unit test
 * checks that both parse every accepted form to the same options.
 */
import type { StoreChoice } from '../store/credential-store'
import type { TokenOptions } from './options'

/** What the fast path accepted: the token options before profile resolution. */
export type FastToken = Omit<TokenOptions, 'profile'> & { profile?: string }

const PROFILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const WHOLE = /^\d+$/

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

export function parseTokenFastPath(argv: readonly string[]): FastToken | undefined {
  const opts: FastToken = { provider: '', json: false, verbose: false, store: 'auto' }
  let seenCommand = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!arg.startsWith('-')) {
      if (!seenCommand && arg === 'token') seenCommand = true
      else if (seenCommand && opts.provider === '') opts.provider = arg
      else return undefined
      continue
    }
    const value = argv[i + 1]
    const took = applyOption(opts, arg, value, seenCommand)
    if (took === undefined) return undefined
    i += took
  }
  return seenCommand && opts.provider !== '' ? opts : undefined
}

/** Applies one option; answers how many values it consumed, or undefined to give up. */
function applyOption(opts: FastToken, flag: string, value: string | undefined, afterCommand: boolean): number | undefined {
  switch (flag) {
    case '--verbose':
      opts.verbose = true
      return 0
    case '--json':
      opts.json = true
      return 0
    case '--no-color':
      return 0
    case '--profile':
      if (value === undefined || !PROFILE.test(value)) return undefined
      opts.profile = value
      return 1
    case '--store':
      if (value !== 'keychain' && value !== 'file') return undefined
      opts.store = value as StoreChoice
      return 1
    case '--config':
      if (value === undefined || value.startsWith('-')) return undefined
      opts.config = value
      return 1
    case '--cacert':
      return value === undefined || value.startsWith('-') ? undefined : 1
    case '--request-timeout':
      return value !== undefined && WHOLE.test(value) && Number(value) >= 1 ? 1 : undefined
    case '--min-ttl':
      if (!afterCommand || value === undefined || !WHOLE.test(value) || Number(value) < 1) return undefined
      opts.minTtlSeconds = Number(value)
      return 1
    default:
      return undefined
  }
}
