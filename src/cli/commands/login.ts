/** `oauth-cli login <provider>`: run the right flow, then store the result. */
import { escapeControls } from '../../platform/terminal-text'
import { loadProvider } from '../../session/provider-context'
import { browserLogin, chooseRedirectUri, deviceLogin, UnusableLoginAnswer, type LoginEvent, type LoginResult } from '../../session/login-flows'
import { remoteLogin } from '../../session/remote-login'
import { readStaticCredential } from '../../session/static-credential'
import { toStaticCredential, toStoredCredential } from '../../session/credentials'
import { sayTokenNotes } from '../../session/token-notes'
import { confirmReplace, revokeReplaced } from '../../session/replace-login'
import { saveUnderRefreshLock } from '../../session/save-issued'
import type { Interrupt } from '../../session/deps'
import { CancelledError } from '../../session/errors'
import { warnIfUnverified } from '../../session/unverified'
import { fetchClientCredentials } from '../../session/client-credentials'
import type { ResolvedProvider } from '../../providers/types'
import type { CredentialKey, StoredCredential } from '../../store/credential-store'
import type { Deps } from '../deps'
import { UsageError, type ExitCode } from '../errors'
import { createSpinner, type Spinner } from '../../platform/spinner'
import { paint, renderJson } from '../render'
import { describeStore, summarize, withDefaultFlag, type CredentialSummary } from '../summary'
import type { Command } from 'commander'
import { defineProviderCommand, type CommandContext } from '../command-kit'
import { LOGIN_FLAGS, type CommonOptions } from '../options'

export interface LoginOptions extends CommonOptions {
  provider: string
  scope?: string[]
  port?: number
  redirectUri?: string
  browser: boolean
  timeoutSeconds: number
  clientId?: string
  clientSecretStdin: boolean
  withToken: boolean
  device: boolean
  oauth: boolean
  /** `--client-credentials`: RFC 6749 §4.4, tokens for the client itself, fetched again on expiry. */
  clientCredentials: boolean
  /** Headless side of a remote login: print a command for a machine with a browser. */
  remote: boolean
  /** `--force`: replace stored credentials without asking on a terminal. */
  force?: boolean
}

export function defineLogin(ctx: CommandContext, run: (opts: LoginOptions, deps: Deps) => Promise<ExitCode> = executeLogin): Command {
  const description = 'log in: authorization code + PKCE in the browser, --device, or --with-token'
  return defineProviderCommand(ctx, { name: 'login', description, flags: LOGIN_FLAGS, examples: LOGIN_EXAMPLES }, run)
}

const LOGIN_EXAMPLES = `
Examples:
  oauth-cli login livechat
  LIVECHAT_CLIENT_ID=… oauth-cli login livechat --port 3000
  printf '%s' "$CLIENT_SECRET" | oauth-cli login acme --client-secret-stdin
  oauth-cli login livestorm --redirect-uri https://app.example/cb  # paste mode
  printf '%s' "$ACCOUNT_ID:$PAT" | oauth-cli login livechat --with-token
  oauth-cli login acme --device
`

export type LoginMode = 'oauth' | 'device' | 'static' | 'remote' | 'client_credentials'

export function chooseLoginMode(opts: LoginOptions, provider: ResolvedProvider): LoginMode {
  const picked = [
    opts.withToken && '--with-token',
    opts.device && '--device',
    opts.oauth && '--oauth',
    opts.remote && '--remote',
    opts.clientCredentials && '--client-credentials',
  ].filter(Boolean)
  if (picked.length > 1) throw new UsageError(`${picked.join(' and ')} cannot be used together`)
  if (opts.withToken) return 'static'
  if (opts.clientCredentials) return 'client_credentials'
  if (opts.device) return 'device'
  if (opts.remote) return 'remote'
  if (opts.oauth) return 'oauth'
  return provider.config.default_login === 'static' ? 'static' : 'oauth'
}

export async function runLogin(
  opts: LoginOptions,
  deps: Deps,
  onEvent: (event: LoginEvent) => void,
): Promise<CredentialSummary> {
  if (opts.clientSecretStdin && opts.withToken) {
    throw new UsageError('--client-secret-stdin and --with-token both read stdin; use one')
  }
  const flags = { config: opts.config, client_id: opts.clientId, redirect_uri: opts.redirectUri, scope: opts.scope?.join(' ') }
  const checked = await loadProvider(opts.provider, flags, deps)
  const mode = chooseLoginMode(opts, checked)
  // A provider without a usable redirect URI (Livestorm) says so before anything else: no prompt, no warning.
  if (mode === 'oauth' || mode === 'remote') chooseRedirectUri(checked, opts.port)
  // Open the store first: a store problem should surface before the user logs in.
  const store = await deps.openStore(opts.store)
  // So should a proxy variable or --cacert that cannot be used (the client is built now): never after the browser step.
  if (mode !== 'static') await deps.http()
  // The secret is asked for (or read from a script's pipe) only once every check above has passed: none fails after it.
  const provider = opts.clientSecretStdin
    ? await loadProvider(opts.provider, { ...flags, client_secret: await readSecretFromStdin(deps) }, deps)
    : checked
  const key: CredentialKey = { provider: provider.name, profile: opts.profile }
  // Asked before the flow: a declined replacement leaves everything as it was. Said only once it happened.
  const replacement = await confirmReplace(store, key, deps, { force: opts.force === true })
  // A save the store will refuse (a shared store under another passphrase) is said now, before the provider issues a grant.
  await store.checkNewCredential?.(key)
  // An answer whose access token is unusable but whose refresh token is good: that grant is stored all the same, then reported.
  let unusable: UnusableLoginAnswer | undefined
  // Once the code exchange is sent, a Ctrl-C waits for its answer and this save (untilSaved).
  const saving = untilSaved(deps)
  let credential: StoredCredential
  let replaced: StoredCredential | undefined
  try {
    credential =
      mode === 'static'
        ? await staticLogin(provider, key, deps, opts)
        : mode === 'client_credentials'
          ? await fetchClientCredentials(provider, key, deps)
          : await oauthLogin(provider, key, mode, opts, saving.deps, onEvent).catch((err: unknown) => {
              if (!(err instanceof UnusableLoginAnswer)) throw err
              unusable = err
              return err.credential(key, deps.clock.now())
            })
    // Under the refresh lock (a refresh in flight must not write the replaced tokens over these); tokens a
    // provider issued are never dropped: a store that cannot take them sends them to an emergency file.
    // (A static credential is the user's own input: no emergency file for it.)
    replaced = await saveUnderRefreshLock(store, credential, deps, { issued: mode !== 'static' })
  } catch (err) {
    saving.settle(err)
    throw err
  }
  const failure = unusable?.stored(key)
  saving.settle(failure)
  if (replacement.notice && (replaced !== undefined || replacement.unreadable)) deps.io.stderr.write(replacement.notice)
  // After a Ctrl-C that waited for the answer (now stored), nothing more begins: no revocation of the replaced one.
  if (deps.interrupt?.signal.aborted) throw failure ?? new CancelledError()
  // Only once the new credential is safe: revoke what it replaced (as stored at the save), where the provider asks for it.
  await revokeReplaced(provider, replaced, credential, deps)
  if (failure) throw failure
  return summarize(credential, store)
}

/**
 * The deps a login flow runs with, and how the login says its save is done.
 * When the flow's token request goes out (it calls `interrupt.awaitAnswer`, as
 * a refresh does), the save that follows is handed to the root's `finish`:
 * from then on a Ctrl-C waits for the answer and its save (the code is spent,
 * and its tokens are the only copy), then ends the command as cancelled, or
 * with the save's own failure (an emergency file named). Before that, a
 * Ctrl-C ends the login at once and nothing is stored.
 */
function untilSaved(deps: Deps): { deps: Deps; settle(failure?: unknown): void } {
  const interrupt = deps.interrupt
  let settle: (failure?: unknown) => void = () => undefined
  if (interrupt === undefined) return { deps, settle }
  const saved = new Promise<void>((resolve, reject) => (settle = (failure) => (failure === undefined ? resolve() : reject(failure))))
  saved.catch(() => undefined)
  let handed = false
  const awaiting: Interrupt = {
    get signal() {
      return interrupt.signal
    },
    finish: (work) => interrupt.finish(work),
    awaitAnswer: (what) => {
      if (!handed) interrupt.finish(saved)
      handed = true
      interrupt.awaitAnswer?.(what)
    },
  }
  return { deps: { ...deps, interrupt: awaiting }, settle: (failure) => settle(failure) }
}

async function readSecretFromStdin(deps: Deps): Promise<string> {
  const text = deps.io.stdinIsTTY
    ? await deps.io.readLine('Client secret: ', { hidden: true })
    : await deps.io.readStdin()
  const secret = text.trim()
  if (!secret) throw new UsageError('--client-secret-stdin was given but stdin was empty')
  return secret
}

async function staticLogin(
  provider: ResolvedProvider,
  key: CredentialKey,
  deps: Deps,
  opts: LoginOptions,
): Promise<StoredCredential> {
  const value = await readStaticCredential(provider, deps, { fromClientPair: !opts.withToken })
  return toStaticCredential(key, value, deps.clock.now())
}

async function oauthLogin(
  provider: ResolvedProvider,
  key: CredentialKey,
  mode: 'oauth' | 'device' | 'remote',
  opts: LoginOptions,
  deps: Deps,
  onEvent: (event: LoginEvent) => void,
): Promise<StoredCredential> {
  warnIfUnverified(provider, undefined, deps)
  const flowOptions = { profile: key.profile, port: opts.port, noBrowser: !opts.browser, timeoutSeconds: opts.timeoutSeconds }
  const flows = { device: deviceLogin, remote: remoteLogin, oauth: browserLogin }
  const result: LoginResult = await flows[mode](provider, flowOptions, deps, onEvent)
  sayTokenNotes(result.tokens, deps)
  return toStoredCredential(key, result.tokens, {
    client_id: result.client.client_id,
    client_secret: result.client.client_secret,
    token_endpoint: result.metadata.token_endpoint,
    now: deps.clock.now(),
  })
}

/**
 * Progress lines for the terminal (stderr). The authorization URL is always
 * alone on its line. Device codes and URIs are the server's choice, and a
 * browser's failure may quote anything: every field is shown with its control
 * characters escaped, so none can move the cursor or forge a line.
 */
export function describeEvent(raw: LoginEvent, providerName: string): string {
  const event = escapeEventFields(raw)
  switch (event.type) {
    case 'authorize_url':
      if (event.short_url || event.accepts_paste) return describeHeadless(event, providerName)
      if (event.mode === 'paste') {
        return event.opened
          ? `Opened your browser to log in to ${providerName}: approve, then paste the address it lands on. If it did not open, visit:\n${event.url}\n`
          : `Open this URL in a browser to log in to ${providerName}, approve, then paste the address it lands on:\n${event.url}\n`
      }
      return event.opened
        ? `Opened your browser to log in to ${providerName}. If it did not open, visit:\n${event.url}\n`
        : `Open this URL in a browser to log in to ${providerName}${event.reason && event.reason !== '--no-browser' ? ` (no browser could be opened: ${event.reason})` : ''}:\n${event.url}\n`
    case 'waiting':
      return `Waiting for the redirect to ${event.redirect_uri} (up to ${event.timeout_s} s; Ctrl-C to cancel)\n`
    case 'device_code': {
      const warnings = (event.refused ?? []).map(
        (uri) => `warning: ${providerName} gave a verification address that is not an https: URL, so it was not opened: ${uri}\n`,
      )
      return `${warnings.join('')}To log in to ${providerName}, visit ${event.verification_uri} and enter the code: ${event.user_code}\n${event.opened ? '(opened in your browser)\n' : ''}${event.wait ? describeDeviceWait(event.wait) : ''}`
    }
    case 'exchanging':
      return ''
    case 'switch_to_device':
      return `No browser can be opened here (${event.reason}); using the device flow instead.\n`
    case 'remote_command':
      return `On a machine with a browser (oauth-cli installed there too), run:\n\n  ${event.command}\n\n`
    default: {
      const never: never = event
      return String(never)
    }
  }
}

/** Said once, with the first code: a code that expires before --timeout is replaced by a new one. */
function describeDeviceWait(wait: { timeout_s: number; code_expires_s: number }): string {
  const codes = wait.code_expires_s < wait.timeout_s ? `; each code is valid for ${wait.code_expires_s} s, then a new one is shown` : ''
  return `Waiting for the approval (up to ${wait.timeout_s} s${codes}; Ctrl-C to cancel)\n`
}

function escapeEventFields(event: LoginEvent): LoginEvent {
  const shown = (value: unknown): unknown =>
    typeof value === 'string' ? escapeControls(value) : Array.isArray(value) ? value.map(shown) : value
  const fields = Object.entries(event).map(([name, value]) => [name, name === 'type' ? value : shown(value)])
  return Object.fromEntries(fields) as LoginEvent
}

function describeHeadless(event: Extract<LoginEvent, { type: 'authorize_url' }>, providerName: string): string {
  const why = event.reason && event.reason !== '--no-browser' ? ` (no browser could be opened: ${event.reason})` : ''
  const lines = [`To log in to ${providerName}${why}, open this URL in a browser:`, event.url]
  if (event.short_url) lines.push(`(or the short form, on this machine: ${event.short_url})`)
  if (event.accepts_paste) {
    lines.push('If the browser is on another machine, its final page will not load: paste the address it shows here.')
  }
  return `${lines.join('\n')}\n`
}

export async function executeLogin(opts: LoginOptions, deps: Deps): Promise<ExitCode> {
  const progress = loginProgress(opts.provider, deps)
  let summary: CredentialSummary
  try {
    summary = await runLogin(opts, deps, progress.onEvent)
  } finally {
    progress.stop()
  }
  // The object a status row and refresh --json print: `default` included.
  if (opts.json) deps.io.stdout.write(renderJson(await withDefaultFlag(summary, deps)))
  const p = paint(deps.io.color)
  const where = describeStore(summary)
  deps.io.stderr.write(`${p.green('✓')} Logged in to ${summary.provider} (profile ${summary.profile}); stored in ${where}\n`)
  return 0
}

/**
 * Progress on stderr. While a browser that did open is being waited for, a
 * terminal gets a spinner with the elapsed time (the URL stays printed above
 * it); anywhere else, and when a paste prompt shares the line, plain lines.
 */
function loginProgress(providerName: string, deps: Deps): { onEvent: (event: LoginEvent) => void; stop: () => void } {
  let spinner: Spinner | undefined
  let browserOpened = false
  const onEvent = (event: LoginEvent): void => {
    if (event.type === 'authorize_url') browserOpened = event.opened && !event.accepts_paste
    if (event.type === 'waiting' && browserOpened && deps.io.stderr.isTTY) {
      spinner = createSpinner(deps.io, {
        label: `Waiting for you to approve in the browser (up to ${event.timeout_s} s; Ctrl-C to cancel)`,
        now: () => deps.clock.now(),
      })
      return
    }
    if (event.type === 'exchanging') spinner?.stop()
    deps.io.stderr.write(describeEvent(event, providerName))
  }
  return { onEvent, stop: () => spinner?.stop() }
}
