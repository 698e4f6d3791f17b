/**
 * The only errors that carry exit codes. Codes follow the table in shared/SPEC.md.
 * Core code (oauth, session, store, http) throws its own typed errors;
 * `cli/report.ts` translates them into these.
 */
import type { StopSignal } from '../platform/process'
/**
 * 128 + a signal's number is the shell's code for a process that signal ended: 130 for Ctrl-C (SIGINT) anywhere,
 * prompt or wait; 143 for SIGTERM and 129 for SIGHUP, which end a command as Ctrl-C does (cli/interrupt.ts).
 */
export type ExitCode = 0 | 1 | 2 | 3 | 4 | 5 | 129 | 130 | 143

/** The exit code of a command a signal ended (CancelledError's). */
export const SIGNAL_EXIT_CODES = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const satisfies Record<StopSignal, ExitCode>

export class CliError extends Error {
  readonly exitCode: ExitCode
  /** A runnable command or a short instruction, printed on its own line. */
  readonly hint: string | undefined

  constructor(message: string, options: { exitCode?: ExitCode; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    // Spelled out, as every error class here: the fast build is minified, so a class's own name is not its name there.
    this.name = 'CliError'
    this.exitCode = options.exitCode ?? 1
    this.hint = options.hint
  }
}

/** Exit 2: unknown provider, bad flag, malformed config. */
export class UsageError extends CliError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 2 })
    this.name = 'UsageError'
  }
}

/** Exit 3: nothing stored, or the provider rejected the refresh token. */
export class AuthRequiredError extends CliError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 3 })
    this.name = 'AuthRequiredError'
  }
}

/** Exit 4: `call` got an HTTP error status (the body has already gone to stdout). */
export class HttpStatusError extends CliError {
  readonly status: number
  constructor(status: number, message: string, options: { hint?: string } = {}) {
    super(message, { ...options, exitCode: 4 })
    this.name = 'HttpStatusError'
    this.status = status
  }
}

/** Exit 5: network failure or timeout. */
export class OfflineError extends CliError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 5 })
    this.name = 'OfflineError'
  }
}

/** Exit 1: the user or the provider refused the authorization. */
export class AuthorizationRefusedError extends CliError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 1 })
    this.name = 'AuthorizationRefusedError'
  }
}

/** The --store and --config a command was given (from its flags, not the environment, which the next command shares). */
export interface GivenFlags {
  store?: string
  config?: string
}

/**
 * A hint line: `run: oauth-cli <command> <provider>`, with `--profile` when it is not the default one,
 * and the `--store` and `--config` the failing command was given: without them the command named would
 * use another store or config file.
 */
export function runHint(command: string, provider: string, profile: string, extra = '', given?: GivenFlags): string {
  return `run: oauth-cli ${command} ${provider}${profile === 'default' ? '' : ` --profile ${profile}`}${extra}${sameFlags(given)}`
}

function sameFlags(given: GivenFlags | undefined): string {
  const store = given?.store
  // A shared store's URL may hold a password: never repeated.
  const storeFlag = store === 'keychain' || store === 'file' ? ` --store ${store}` : store && store !== 'auto' ? ' --store <the same URL>' : ''
  return `${storeFlag}${given?.config ? ` --config ${shellWord(given.config)}` : ''}`
}

/** `text` as one shell word: as it is when nothing in it is special, else single-quoted. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}
