/**
 * The option table: every flag once, with the rule its value must follow.
 * Three readers, so they cannot drift apart: commander (through
 * `command-kit.ts`, for every command), the start-up fast path
 * (`fast-path.ts`, for `token`) and the global-flag scan below (for what
 * shapes Deps before commander runs). This file loads nothing heavy: the fast
 * path imports it.
 */
import { MAX_TIMER_MS } from '../platform/clock'
import { SANDBOX_DEFAULT_ACCESS_TOKEN_TTL } from '../sandbox/provider'
import { isValidProfileName } from '../session/profiles'
import { isSharedStoreUrl, shownStoreChoice, type StoreChoice } from '../store/credential-store'

/**
 * A value that breaks its flag's rule; reported as `option '…' argument '<shown>' is invalid: <message>`.
 * `shown` is what to repeat of the value, when the whole of it may not be (a URL may hold a password).
 */
export class OptionValueError extends Error {
  override name = 'OptionValueError'
  constructor(
    message: string,
    readonly shown?: string,
  ) {
    super(message)
  }
}

/** One row of the table. `T` is the value the typed options get. */
export interface Flag<T = unknown> {
  /** As commander reads them: `-X, --method <method>`, `--no-browser`, `--scope <scope...>`. */
  flags: string
  description: string
  /** Turns the text into the value; throws OptionValueError saying what is expected. */
  parse?: (value: string) => T
  /**
   * The values offered by completion. Without `parse` they are the only ones accepted, and help
   * lists them; with `parse`, which also takes others (a shared store's URL), the description
   * says what is accepted (a list in help would leave the others out).
   */
  choices?: readonly string[]
  /** Given again, the values add up (`-H a -H b`). */
  repeatable?: boolean
  /**
   * The value may look like an option (`--…`, `-x…`): a body (`-d '-----BEGIN…'`). Other rows refuse one
   * (MissingValueError): commander takes the word after the flag whatever it is, so an empty variable
   * (`--scope $SCOPES --profile work`) made the next option the value.
   */
  optionLikeValue?: boolean
  default?: T
  /** Phantom: only carries `T`. */
  readonly type?: T
}

export type FlagTable = Readonly<Record<string, Flag>>

/** The values a table gives, by key. */
export type FlagValues<Table extends FlagTable> = { [K in keyof Table]: Table[K] extends Flag<infer T> ? T : never }

function flag<T>(row: Flag<T>): Flag<T> {
  return row
}

/** `--name` of a row. */
export function longName(row: Flag): string {
  // The `--name` up to the space before its value, if any (`-X, --method <method>`): no pattern to compile on every start.
  const start = row.flags.indexOf('--')
  const end = row.flags.indexOf(' ', start)
  return row.flags.slice(start, end === -1 ? undefined : end)
}

export function takesValue(row: Flag): boolean {
  return row.flags.includes('<') || row.flags.includes('[')
}

/** The key commander stores a row's value under (`--no-browser` → `browser`, `--min-ttl` → `minTtl`). */
export function attributeName(row: Flag): string {
  return longName(row)
    .replace(/^--(no-)?/, '')
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
}

/** Whether a row is a `--no-x` switch (its value is false when given). */
export function isNegated(row: Flag): boolean {
  return longName(row).startsWith('--no-')
}

/**
 * A value that is an option (`--profile`, `-uuser`): the flag before it was given none. Names only the
 * option, never what is glued to it (`-uuser:pw`, `--password=pw` may be a secret).
 */
export class MissingValueError extends OptionValueError {
  override name = 'MissingValueError'
  constructor(row: Flag, text: string) {
    const option = text.startsWith('--') ? text.split('=')[0] : text.slice(0, 2)
    const file = row.flags.includes('<file>') ? " (a file whose name begins with '-': ./-name)" : ''
    super(
      `option '${row.flags}' argument missing: '${option}' after it is an option, not its value (an empty variable?); ` +
        `give ${longName(row)} its value${file}`,
    )
  }
}

/** An option, not a value: `--x`, `-x`; not `-`, `-1`. */
function looksLikeOption(text: string): boolean {
  return /^-(-|[A-Za-z])/.test(text)
}

/** Checks a value against its row as commander would; the parsed value, or an OptionValueError. */
export function readValue<T>(row: Flag<T>, text: string): T {
  if (!row.optionLikeValue && looksLikeOption(text)) throw new MissingValueError(row, text)
  if (row.choices && !row.parse && !row.choices.includes(text)) throw new OptionValueError(`Allowed choices are ${row.choices.join(', ')}.`)
  return row.parse ? row.parse(text) : (text as T)
}

export function parsePort(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n > 65535) throw new OptionValueError('expected a port number from 0 to 65535')
  return n
}

export function parseSeconds(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < 1) throw new OptionValueError('expected a whole number of seconds, at least 1')
  return n
}

/** The longest wait one Node timer holds (about 24.8 days): an HTTP timeout is one timer, and a longer one would fire at once. */
export const MAX_WAIT_SECONDS = Math.floor(MAX_TIMER_MS / 1000)

/** Seconds to wait for something (`--timeout`, `--request-timeout`): a timer must be able to hold them. */
export function parseWaitSeconds(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_WAIT_SECONDS) {
    throw new OptionValueError(`expected a whole number of seconds from 1 to ${MAX_WAIT_SECONDS}`)
  }
  return n
}

/** keychain, file, or the shared store's postgres:// (postgresql://) URL. */
export function parseStore(value: string): StoreChoice {
  if (value === 'keychain' || value === 'file') return value
  if (isSharedStoreUrl(value)) return value
  throw new OptionValueError('expected keychain, file, or a postgres:// or postgresql:// URL (postgres://user@host:5432/db)', shownStoreChoice(value))
}

export function parseProfileName(value: string): string {
  if (!isValidProfileName(value)) throw new OptionValueError('use letters, digits, ".", "_" or "-" (at most 64)')
  return value
}

/**
 * `logout`'s `--profile`: also a name the other commands refuse, exactly as
 * stored, so that a credential an older `import` stored under such a name (a
 * space, a terminal escape) can be removed (status names the command). It only
 * ever names an item to delete: nothing is created under it.
 */
function parseStoredProfileName(value: string): string {
  if (value === '' || value.includes('\0') || value.length > 1024) {
    throw new OptionValueError('give the profile name as it is stored (oauth-cli status shows it)')
  }
  return value
}


/**
 * Accepted both before the command (`oauth-cli --profile w token x`) and
 * after it; after wins. The GLOBAL_ONLY rows are read by scanGlobalFlags
 * before parsing (Deps builds the HTTP client with them) and are declared to
 * commander for validation and --help.
 */
export const COMMON_FLAGS = {
  profile: flag<string | undefined>({
    flags: '--profile <name>',
    description: 'which account of the provider (default: the one `profile use` chose, else "default")',
    parse: parseProfileName,
  }),
  verbose: flag<boolean>({ flags: '--verbose', description: 'trace HTTP on stderr, every secret redacted' }),
  config: flag<string | undefined>({
    flags: '--config <file>',
    description: 'config file (default $OAUTH_CLI_CONFIG or ~/.config/oauth-cli/config.json)',
  }),
  store: flag<StoreChoice | undefined>({
    flags: '--store <store>',
    description: 'where credentials live: keychain, file, or a shared postgres:// (postgresql://) URL',
    choices: ['keychain', 'file'],
    parse: parseStore,
  }),
  noColor: flag<boolean>({ flags: '--no-color', description: 'no colour in output' }),
  requestTimeoutSeconds: flag<number | undefined>({
    flags: '--request-timeout <seconds>',
    description: 'connect, header and body timeout of each HTTP request (default 30)',
    parse: parseWaitSeconds,
  }),
  cacert: flag<string | undefined>({ flags: '--cacert <file>', description: 'PEM file of extra CA certificates to trust for every request' }),
} as const

/** The common `--profile` row, as `logout` declares it (parseStoredProfileName). */
export const STORED_PROFILE_FLAG = { ...COMMON_FLAGS.profile, parse: parseStoredProfileName } as const

/** `--json` is common too, except on `call` (where it is a body) and the commands that print no summary. */
export const JSON_FLAG = { json: flag<boolean>({ flags: '--json', description: 'machine-readable output on stdout' }) } as const

/** The common rows commands do not see: they shape Deps (see scanGlobalFlags). */
export const GLOBAL_ONLY: ReadonlySet<keyof typeof COMMON_FLAGS> = new Set(['noColor', 'requestTimeoutSeconds', 'cacert'])

const BROWSER_TIMEOUT = {
  flags: '--timeout <seconds>',
  parse: parseWaitSeconds,
  default: 300,
} as const

export const LOGIN_FLAGS = {
  scope: flag<string[] | undefined>({ flags: '--scope <scope...>', description: "scopes to request (default: the provider entry's scope)" }),
  port: flag<number | undefined>({
    flags: '--port <n>',
    description: 'port of the loopback redirect URI (must be registered with the provider)',
    parse: parsePort,
  }),
  redirectUri: flag<string | undefined>({ flags: '--redirect-uri <uri>', description: "redirect URI to use instead of the provider's default" }),
  browser: flag<boolean>({ flags: '--no-browser', description: 'print the authorization URL instead of opening a browser; wait all the same' }),
  timeoutSeconds: flag<number>({ ...BROWSER_TIMEOUT, description: 'how long to wait for the login to complete' }),
  clientId: flag<string | undefined>({ flags: '--client-id <id>', description: 'OAuth client id (else <PROVIDER>_CLIENT_ID, .env or the config file)' }),
  clientSecretStdin: flag<boolean>({ flags: '--client-secret-stdin', description: 'read the client secret from stdin (a secret never goes in argv)' }),
  withToken: flag<boolean>({
    flags: '--with-token',
    description: 'store a static credential read from stdin (or a hidden prompt) instead of OAuth',
  }),
  device: flag<boolean>({ flags: '--device', description: 'use the device authorization grant (RFC 8628)' }),
  oauth: flag<boolean>({ flags: '--oauth', description: "use OAuth even where the provider's default is a static credential (tidio)" }),
  remote: flag<boolean>({
    flags: '--remote',
    description: 'log in from a machine without a browser: prints a command to run where there is one',
  }),
  clientCredentials: flag<boolean>({
    flags: '--client-credentials',
    description: 'client credentials grant (RFC 6749 §4.4): tokens for the client itself, fetched again on expiry',
  }),
  force: flag<boolean>({ flags: '--force', description: 'replace stored credentials without asking (a terminal asks first)' }),
} as const

export const CALL_FLAGS = {
  method: flag<string | undefined>({ flags: '-X, --method <method>', description: 'HTTP method (default GET, or POST when a body is given)' }),
  headers: flag<string[]>({ flags: '-H, --header <header>', description: "extra header 'Name: value' (repeatable)", repeatable: true }),
  data: flag<string | undefined>({ flags: '-d, --data <data>', description: 'request body: text, @file, or @- for stdin', optionLikeValue: true }),
  jsonBody: flag<string | undefined>({
    flags: '--json <data>',
    description:
      "JSON request body (text, @file or @-), as curl's --json; sets Content-Type and Accept: application/json. " +
      '(Not the global --json: the output of call is the response body itself)',
    optionLikeValue: true,
  }),
  query: flag<string[]>({ flags: '-q, --query <name=value>', description: 'query parameter (repeatable)', repeatable: true }),
  include: flag<boolean>({ flags: '-i, --include', description: 'print the status line and response headers before the body' }),
  paginate: flag<boolean>({ flags: '--paginate', description: "follow the provider's pagination and print one merged JSON array" }),
  ndjson: flag<boolean>({ flags: '--ndjson', description: 'with --paginate: one JSON item per line instead of one array' }),
  output: flag<string | undefined>({
    flags: '-o, --output <file>',
    description: 'write the response body (and with -i the headers) to <file> instead of stdout; "-" is stdout, as in curl',
  }),
  fail: flag<boolean>({ flags: '-f, --fail', description: 'on an HTTP error status print no body (exit 4 either way), as curl -f' }),
  silent: flag<boolean>({ flags: '-s, --silent', description: 'accepted for curl habits: only the result is printed anyway' }),
  showError: flag<boolean>({ flags: '-S, --show-error', description: 'accepted for curl habits (-sS): errors are always shown' }),
} as const

export const TOKEN_FLAGS = {
  minTtlSeconds: flag<number | undefined>({
    flags: '--min-ttl <seconds>',
    description: "refresh first unless the token lives at least this long; exit 1 if the provider's tokens never do",
    parse: parseSeconds,
  }),
} as const

export const LOGOUT_FLAGS = {
  local: flag<boolean>({ flags: '--local', description: 'only delete the stored credentials, without revoking' }),
} as const

export const AUTHORIZE_FLAGS = {
  browser: flag<boolean>({ flags: '--no-browser', description: 'print the URL instead of opening a browser' }),
  timeoutSeconds: flag<number>({ ...BROWSER_TIMEOUT, description: 'how long to wait for the browser' }),
} as const

export const SANDBOX_FLAGS = {
  port: flag<number | undefined>({
    flags: '--port <n>',
    description: 'port to listen on (default 8976, which the built-in `sandbox` provider points at)',
    parse: parsePort,
  }),
  accessTokenTtl: flag<number | undefined>({
    flags: '--access-token-ttl <seconds>',
    description: `lifetime of access tokens (default ${SANDBOX_DEFAULT_ACCESS_TOKEN_TTL}); a short one, e.g. 30, shows refreshes`,
    parse: parseSeconds,
  }),
} as const

export const DEMO_FLAGS = {
  browser: flag<boolean>({ flags: '--no-browser', description: 'approve on the sandbox by itself even where a browser could open' }),
} as const

/** What every command on a provider gets from the common rows. */
export interface CommonOptions {
  profile: string
  json: boolean
  verbose: boolean
  config?: string
  store: StoreChoice
}

export interface ProviderCommandOptions extends CommonOptions {
  provider: string
}

export interface GlobalFlags {
  verbose: boolean
  noColor: boolean
  /** `--request-timeout <seconds>`: connect, header and body timeout of every request. */
  requestTimeoutSeconds?: number
  /** `--cacert <file>`: PEM certificates trusted for every request, besides the system ones. */
  cacert?: string
  /** A `--store` URL in argv holds a password (other local users can read it in the process list). */
  storePasswordInArgv?: true
}

/**
 * Each command's own rows, as its definition declares them (the common rows aside): they say
 * which words after the command are values. `call`'s `--json <data>` is a body here, not the switch.
 */
const COMMAND_ROWS: Readonly<Record<string, FlagTable>> = {
  login: LOGIN_FLAGS,
  call: CALL_FLAGS,
  token: TOKEN_FLAGS,
  logout: LOGOUT_FLAGS,
  authorize: AUTHORIZE_FLAGS,
  sandbox: SANDBOX_FLAGS,
  demo: DEMO_FLAGS,
}

/** The rows commander reads `arg` with: the root's before the command, the command's own and the root's after it. */
export function rowFor(command: string | undefined, arg: string): readonly [key: string, row: Flag] | undefined {
  const own = command === undefined ? undefined : COMMAND_ROWS[command]
  const tables: FlagTable[] = own ? [own, COMMON_FLAGS, JSON_FLAG] : [COMMON_FLAGS, JSON_FLAG]
  for (const table of tables) {
    for (const key of Object.keys(table)) {
      const row = table[key] as Flag
      if (longName(row) === arg || (arg.length === 2 && row.flags.startsWith(`${arg},`))) return [key, row]
    }
  }
  return undefined
}

/**
 * Whether commander's value for `row` is the word `next`: a row that takes a word that looks like
 * an option (a body, `-d --verbose`) does; any other row refuses one (MissingValueError, exit 2),
 * which is then the option it looks like, as that error says.
 */
function takesNextWord(row: Flag, next: string | undefined): next is string {
  return next !== undefined && (row.optionLikeValue === true || !looksLikeOption(next))
}

/**
 * Reads the global flags that shape Deps before commander parses the rest,
 * walking argv with the same option table commander gets: a word that an
 * option takes as its value (`-d --verbose`, `--json --no-color`,
 * `--profile=--verbose`, `-id --verbose`) is that value, never a flag.
 * Commander validates the same flags later, so a malformed value is ignored here.
 */
export function scanGlobalFlags(argv: readonly string[]): GlobalFlags {
  const flags: GlobalFlags = { verbose: false, noColor: false }
  const given: Record<string, string> = {}
  const note = (key: string, value: string | undefined): void => {
    if (key === 'verbose') flags.verbose = true
    else if (key === 'noColor') flags.noColor = true
    else if (value !== undefined) given[key] = value
  }
  let command: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') break
    if (arg.length < 2 || !arg.startsWith('-')) {
      // The first word that is not an option, nor an option's value, is the command; the rest are its arguments.
      command ??= arg
      continue
    }
    if (arg.startsWith('--')) {
      const at = arg.indexOf('=')
      const found = rowFor(command, at === -1 ? arg : arg.slice(0, at))
      if (!found) continue
      const [key, row] = found
      if (!takesValue(row)) {
        if (at === -1) note(key, undefined)
      } else if (at !== -1) note(key, arg.slice(at + 1))
      else if (takesNextWord(row, argv[i + 1])) note(key, argv[++i])
      continue
    }
    // `-abc`: switches run together; the first letter that takes a value takes the rest, or the next word.
    for (let j = 1; j < arg.length; j++) {
      const found = rowFor(command, `-${arg[j]}`)
      if (!found) break
      const [key, row] = found
      if (!takesValue(row)) {
        note(key, undefined)
        continue
      }
      if (j + 1 < arg.length) note(key, arg.slice(j + 1))
      else if (takesNextWord(row, argv[i + 1])) note(key, argv[++i])
      break
    }
  }
  const timeout = tryReadValue(COMMON_FLAGS.requestTimeoutSeconds, given.requestTimeoutSeconds)
  if (timeout !== undefined) flags.requestTimeoutSeconds = timeout
  const ca = tryReadValue(COMMON_FLAGS.cacert, given.cacert)
  if (ca) flags.cacert = ca
  if (given.store !== undefined && storeUrlHasPassword(given.store)) flags.storePasswordInArgv = true
  return flags
}

/** A shared store's URL with a password in it: `postgres://user:PASSWORD@host/db`, or libpq's `?password=`. */
export function storeUrlHasPassword(value: string): boolean {
  if (!isSharedStoreUrl(value)) return false
  try {
    const url = new URL(value)
    return url.password !== '' || (url.searchParams.get('password') ?? '') !== ''
  } catch {
    // Not a URL Node reads (commander refuses it later): a `:…@` in its authority is still a password.
    return /^[a-z]+:\/\/[^/?#]*:[^/?#@]+@/i.test(value)
  }
}

/** readValue, or undefined when there is no text or it breaks the row's rule. */
export function tryReadValue<T>(row: Flag<T>, text: string | undefined): T | undefined {
  if (text === undefined) return undefined
  try {
    return readValue(row, text)
  } catch {
    return undefined
  }
}
