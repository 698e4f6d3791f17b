/**
 * The one place where errors become exit codes and hints (shared/SPEC.md,
 * "Exit codes"). Every message passes through redaction.
 */
import { redactText } from '../http/redact'
import { isReaderGone } from '../platform/io'
import { escapeControls } from '../platform/terminal-text'
import { contextOf, rememberContext, type ErrorContext } from './error-context'
import { hintWithSuggestion } from './suggest'
import { ResponseTooLargeError, TransportError, UnsendableRequestError, type ProxyProblem } from '../http/types'
import { ListenError } from '../oauth/callback-server'
import { AuthorizationDeniedError, OAuthError, ProtocolError } from '../oauth/errors'
import { ConfigError } from '../providers/errors'
import {
  CancelledError,
  CodeRejectedError,
  InputError,
  ReplaceDeclinedError,
  InterruptedRefreshError,
  LoginTimeoutError,
  NotLoggedInError,
  RefreshRejectedError,
  UnsettledRefreshError,
} from '../session/errors'
import { unreachableHintOf } from '../session/provider-http'
import { StoreError } from '../store/credential-store'
import {
  AuthorizationRefusedError,
  AuthRequiredError,
  CliError,
  OfflineError,
  runHint,
  SIGNAL_EXIT_CODES,
  UsageError,
  type ExitCode,
  type GivenFlags,
} from './errors'

export interface ErrorReport {
  text: string
  exitCode: ExitCode
}


/**
 * Turns any thrown value into stderr text (message, then the hint on its own
 * line). All of it may quote a server (an error_description), so every known
 * secret value is redacted whole and control characters are escaped; the
 * message stays one line whatever a server put in it (a hint may have several).
 */
export function formatError(err: unknown, options: { verbose: boolean; secrets?: readonly string[] }): ErrorReport {
  // `| head -1` stopped reading: it has what it wanted, nothing failed (see ReaderGoneError).
  if (isReaderGone(err)) return { text: '', exitCode: 0 }
  const cli = toCliError(err)
  const shown = (text: string, multiline = false): string => escapeControls(redactText(text, options.secrets), { multiline })
  let text = `oauth-cli: ${shown(cli.message)}\n`
  if (cli.hint) text += `${shown(cli.hint, true)}\n`
  // A stack helps with a bug: an error no branch of toCliError knows. An expected one ("not logged in",
  // a refused refresh, a Ctrl-C) is its message and hint, --verbose or not.
  if (options.verbose && err instanceof Error && err.stack && UNEXPECTED.has(cli)) {
    text += `${shown(err.stack, true)}\n`
  }
  return { text, exitCode: cli.exitCode }
}

/**
 * An error that escaped a fast-build command once its request went out,
 * written to stderr as the full CLI's handler writes it (a fast build runs only
 * without --verbose, so never a stack). Answers the exit code.
 */
export function reportOnStderr(
  err: unknown,
  context: ErrorContext,
  deps: { io: { stderr: { write(chunk: string): void } }; secrets: { values(): readonly string[] } },
): ExitCode {
  const report = formatError(rememberContext(err, context), { verbose: false, secrets: deps.secrets.values() })
  deps.io.stderr.write(report.text)
  return report.exitCode
}

export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err
  if (err instanceof ConfigError) {
    const hint = err.code === 'unknown_provider' && err.known ? hintWithSuggestion(providerOf(err.message), err.known, err.hint) : err.hint
    return new UsageError(err.message, { hint, cause: err })
  }
  if (err instanceof NotLoggedInError || err instanceof InterruptedRefreshError) {
    return new AuthRequiredError(err.message, { hint: loginHint(err.key.provider, err.key.profile, contextOf(err)), cause: err })
  }
  if (err instanceof UnsettledRefreshError) {
    // What happened keeps its exit code (5 for the deadline); the way on is the login the next command would ask for.
    const happened = toCliError(err.cause)
    return new CliError(err.message, { exitCode: happened.exitCode, hint: loginHint(err.key.provider, err.key.profile, contextOf(err)), cause: err })
  }
  if (err instanceof RefreshRejectedError) {
    return new AuthRequiredError(err.message, {
      hint: loginHint(err.key.provider, err.key.profile, contextOf(err)),
      cause: err,
    })
  }
  if (err instanceof ReplaceDeclinedError) {
    // Exit 1, as for any authorization the user refused; nothing was changed.
    return new CliError(err.message, {
      exitCode: 1,
      hint: `to replace them without asking: oauth-cli login ${err.key.provider}${err.key.profile === 'default' ? '' : ` --profile ${err.key.profile}`} --force`,
      cause: err,
    })
  }
  if (err instanceof CodeRejectedError) {
    // A code is single-use and lives minutes: only a new login gets another.
    return new CliError(err.message, { exitCode: 1, hint: `codes are single-use and short-lived: ${loginHint(err.providerName, err.profile, contextOf(err))}`, cause: err })
  }
  if (err instanceof AuthorizationDeniedError) {
    return new AuthorizationRefusedError(
      `the authorization was refused: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}`,
      { cause: err },
    )
  }
  if (err instanceof OAuthError) return fromOAuthError(err)
  if (err instanceof LoginTimeoutError) return new OfflineError(err.message, { hint: loginTimeoutHint(err), cause: err })
  if (err instanceof ResponseTooLargeError) {
    // The server answered, too much: exit 1 (an answer refused), not 5, and no word of the network.
    const context = contextOf(err)
    const from = context ? ` from ${context.provider} (profile ${context.profile})` : ''
    return new CliError(`refused an answer${from} that is too large: ${err.message}`, {
      exitCode: 1,
      hint: `the ${err.part === 'body' ? 'body' : 'headers'} of this answer went over the tool's cap, so it was not used; check that the URL is the endpoint meant, or ask the provider why it answers this much`,
      cause: err,
    })
  }
  if (err instanceof UnsendableRequestError) {
    // Refused while building it: nothing was sent, the network is fine (exit 1, as an answer refused).
    const context = contextOf(err)
    const from = context ? ` for ${context.provider} (profile ${context.profile})` : ''
    const fix = err.header === 'authorization' && context ? `the stored credential cannot be sent: replace it (${loginHint(context.provider, context.profile, context)})` : 'check the headers given with -H and api_headers in the config file'
    return new CliError(`${err.message.replace(/^the request/, `the request${from}`)}`, { exitCode: 1, hint: `nothing was sent; ${fix}`, cause: err })
  }
  if (err instanceof TransportError) {
    const context = contextOf(err)
    const prefix = context ? `cannot reach ${context.provider} (profile ${context.profile}): ` : ''
    return new OfflineError(`${prefix}${err.message}`, { hint: transportHint(err), cause: err })
  }
  if (err instanceof ListenError) return fromListenError(err)
  if (err instanceof StoreError) return fromStoreError(err)
  if (err instanceof ProtocolError) return fromProtocolError(err)
  if (err instanceof InputError) return new UsageError(err.message, { hint: err.hint, cause: err })
  // Ctrl-C at a prompt reads as the same interrupt as Ctrl-C during a wait: "cancelled", exit 130 (SIGTERM, SIGHUP: their own).
  if (err instanceof CancelledError) return new CliError(err.message, { exitCode: SIGNAL_EXIT_CODES[err.signal] })
  if (err instanceof Error && err.name === 'AbortError') return toCliError(err.cause instanceof CancelledError ? err.cause : new CancelledError())
  const message = err instanceof Error ? err.message : String(err)
  const unexpected = new CliError(`unexpected error: ${message}`, {
    exitCode: 1,
    hint: 'run again with --verbose for details',
    cause: err,
  })
  UNEXPECTED.add(unexpected)
  return unexpected
}

/** What toCliError made of an error it does not know (a bug, exit 1): the only reports --verbose adds a stack to. */
const UNEXPECTED = new WeakSet<CliError>()

/** The name in `unknown provider "<name>"`; ConfigError carries the known names but not the one asked for. */
function providerOf(message: string): string {
  return /unknown provider "([^"]*)"/.exec(message)?.[1] ?? ''
}

function loginHint(provider: string, profile: string, given: GivenFlags | undefined): string {
  return runHint('login', provider, profile, '', given)
}

function fromOAuthError(err: OAuthError): CliError {
  const detail = `${err.error}${err.error_description ? ` (${err.error_description})` : ''}`
  const status = err.status === undefined ? '' : ` (HTTP ${err.status})`
  const message = `${describeStep(err.step)} failed${status}: ${detail}`
  // A 5xx is the server failing, whatever its body says (RFC 6749 §5.2 errors are 400 and 401): as a proxy's 5xx page.
  if (err.error === 'temporarily_unavailable' || isBusyStatus(err.status)) {
    return new OfflineError(message, { hint: busyHint(err), cause: err })
  }
  if (err.error === 'invalid_client' || err.error === 'unauthorized_client') {
    return new CliError(message, {
      exitCode: 1,
      hint: 'check the client id and secret (flags, <PROVIDER>_CLIENT_ID / _CLIENT_SECRET, .env or the config file)',
      cause: err,
    })
  }
  return new CliError(message, { exitCode: 1, cause: err })
}

/**
 * A status that means "not now" whatever the body says: a 5xx, or a 429 (rate limited; a gateway's
 * 429 page has no OAuth body at all). Exit 5, SPEC's transient failure, the code a CI job retries on.
 */
function isBusyStatus(status: number | undefined): boolean {
  return status !== undefined && (status === 429 || status >= 500)
}

/** The wait a 429 or 503 asked for, as the tool reads it (never the header's text as sent: a server may send anything). */
function busyHint(err: { status: number | undefined; retryAfter: string | undefined }): string {
  const what = err.status === 429 ? 'the provider is rate limiting requests' : 'the provider is having trouble'
  const text = err.retryAfter?.trim() ?? ''
  const seconds = /^\d{1,9}$/.test(text) ? Number(text) : undefined
  const date = seconds === undefined ? Date.parse(text) : undefined
  const wait = seconds !== undefined ? `${seconds} s` : date !== undefined && !Number.isNaN(date) ? `until ${new Date(date).toISOString()}` : undefined
  return wait === undefined ? `${what}; try again shortly` : `${what}; it asked to wait ${wait} (Retry-After): try again then`
}

function describeStep(step: string): string {
  switch (step) {
    case 'token':
      return 'the code exchange'
    case 'refresh':
      return 'the refresh'
    case 'device':
      return 'the device authorization'
    case 'revoke':
      return 'the revocation'
    case 'authorize':
      return 'the authorization'
    default:
      return step
  }
}

/** Where to look depends on what was waited for (issue 13: a device wait spoke of a browser). */
function loginTimeoutHint(err: LoginTimeoutError): string {
  switch (err.flow) {
    case 'device':
      return 'open the verification URL on any device, enter the code and approve; run the login again for a new code, or use --timeout <seconds> to wait longer'
    case 'paste':
      return 'after approving in the browser, paste the address it landed on (or just the code) at the prompt; use --timeout <seconds> to wait longer'
    default:
      return (
        'if the browser showed an error page from the provider, it never redirected back: fix what it says ' +
        '(client id, redirect URI registered for the app) and try again; use --timeout <seconds> to wait longer'
      )
  }
}

/** What to check; a provider's own `unreachable_hint` (session/provider-http.ts) when it could not be reached at all. */
function transportHint(err: TransportError): string {
  if (err.proxyVariable !== undefined) return proxyHint(err.proxyVariable, err.proxyProblem)
  const quirk = unreachableHintOf(err)
  if (quirk && err.kind === 'connect') return quirk
  switch (err.kind) {
    case 'timeout':
      return 'the provider did not answer in time; check your network, or HTTPS_PROXY if you need a proxy'
    case 'dns':
    case 'connect':
      return 'check your network connection, and HTTPS_PROXY / NO_PROXY if you are behind a proxy'
    case 'tls':
      return 'TLS failed: for a private CA or a TLS-inspecting proxy, pass its CA certificate with --cacert <file> (or set NODE_EXTRA_CA_CERTS)'
    default:
      return 'check your network connection and try again'
  }
}

/** The proxy failed, not the provider: what to change about it (its variable, or NO_PROXY to go direct). */
function proxyHint(variable: string, problem: ProxyProblem | undefined): string {
  switch (problem) {
    case 'credentials_wanted':
      return `the proxy asks for credentials: put your proxy user name and password in the URL in ${variable}, as user:password@ before its host`
    case 'credentials_refused':
      return `the proxy refused the user name and password in ${variable}: check them (an @, : or / in either must be percent-encoded, such as %40 for @)`
    case 'refused':
      return `the proxy would not connect to that host: ask its administrator, or list the host in NO_PROXY to connect directly`
    case 'closed':
      return `check that ${variable} names an HTTP proxy that tunnels to that host (ask its administrator), or list the host in NO_PROXY to connect directly`
    default:
      return `check that the proxy in ${variable} runs and that its host and port are right, or unset ${variable}; hosts to reach without it go in NO_PROXY`
  }
}

function fromListenError(err: ListenError): CliError {
  if (err.code === 'port_in_use') {
    return new UsageError(`port ${err.port} on ${err.host} is already in use, so the login callback cannot be received`, {
      hint: `stop what is using port ${err.port}, or pass --port <n> (the port must be registered as a redirect URI with the provider)`,
      cause: err,
    })
  }
  return new UsageError(`cannot listen on ${err.host}:${err.port} for the login callback`, {
    hint: 'pass --port <n> with a port above 1024',
    cause: err,
  })
}

function fromStoreError(err: StoreError): CliError {
  switch (err.kind) {
    case 'bad_passphrase':
      return new UsageError(err.message, { hint: err.hint ?? 'set OAUTH_CLI_PASSPHRASE to the passphrase the file store was written with', cause: err })
    case 'corrupt':
      return new CliError(err.message, { exitCode: 1, hint: corruptHint(err, contextOf(err)), cause: err })
    case 'unavailable':
      return new UsageError(err.message, { hint: 'use --store file (or OAUTH_CLI_STORE=file) where no keychain is available', cause: err })
    case 'timeout':
      // A store that does not answer is SPEC's timeout (exit 5), as a shared store's database that does not answer.
      return new OfflineError(err.message, {
        hint: 'the keychain may be waiting for you to unlock it, or be hung: unlock it (or restart it) and try again, or use --store file (OAUTH_CLI_STORE=file)',
        cause: err,
      })
    case 'locked':
      // A wait that timed out, as the shared store's lease wait (exit 5: SPEC's timeout, and "the same as with a local store").
      return new OfflineError(err.message, { hint: err.hint ?? LOCK_HOLDER_HINT, cause: err })
    case 'insecure':
      // Fixed by the user's own chmod/chown, like a configuration error: exit 2.
      return new UsageError(err.message, { cause: err })
    case 'io':
      return new CliError(err.message, { exitCode: 1, cause: err })
    case 'config':
    case 'denied':
      return new UsageError(err.message, { hint: err.hint, cause: err })
    case 'unreachable':
    case 'lease_timeout':
      return new OfflineError(err.message, { hint: err.hint, cause: err })
    default: {
      const never: never = err.kind
      return new CliError(String(never))
    }
  }
}

/** The lock's holder is alive: the message names it (pid and host) and the lock file. */
const LOCK_HOLDER_HINT =
  'another process holds the refresh lock of these credentials (a refresh, login or logout): wait for it to end, or stop it if it hangs'

/** How to get rid of an unreadable item: `logout --local` removes it from whichever store holds it. */
export function corruptHint(err: StoreError, given?: GivenFlags): string {
  if (!err.key) return `inspect or remove ${err.location}, then log in again`
  return `inspect ${err.location}, or remove it and log in again (${runHint('logout', err.key.provider, err.key.profile, ' --local', given)})`
}

function fromProtocolError(err: ProtocolError): CliError {
  // A 5xx that is not an OAuth answer (a proxy's HTML 502/503 page) is the provider failing, not us.
  if (isBusyStatus(err.status)) return new OfflineError(err.message, { hint: busyHint(err), cause: err })
  switch (err.code) {
    case 'state_mismatch':
      return new CliError(`${err.message}; nothing was exchanged`, {
        exitCode: 1,
        hint: 'start the login again and use the URL it prints',
        cause: err,
      })
    case 'missing_endpoint':
    case 'insecure_endpoint':
      return new UsageError(err.message, { cause: err })
    case 'timeout':
      return new OfflineError(err.message, { cause: err })
    case 'expired':
      return new OfflineError(err.message, { hint: 'start the login again and finish it sooner', cause: err })
    // The issuer answered, and not with matching metadata (a 429 or 5xx is exit 5, above): a configuration error.
    case 'discovery_failed':
      return new UsageError(err.message, { hint: 'check the issuer in the config file, or set the endpoints explicitly', cause: err })
    default:
      return new CliError(err.message, { exitCode: 1, cause: err })
  }
}
