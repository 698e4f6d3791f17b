/**
 * browserLogin / deviceLogin: glue the OAuth core, the browser, the loopback
 * listener and the clock. They report progress through `onEvent` and return
 * tokens; storing them is the caller's job, after success only, so a failed
 * login leaves the old credentials alone. The one exception is a good refresh
 * token in an answer that could not be used (UnusableLoginAnswer): a grant the
 * provider issued, which the caller stores in their place before failing.
 */
import type { SessionDeps } from './deps'
import { buildAuthorizationUrl } from '../oauth/authorize-url'
import { pastedCallbackParams, validateCallback } from '../oauth/callback'
import type { ReceivedCallback } from '../oauth/callback-server'
import { isBrowsableUrl, type OpenResult } from '../platform/browser-port'
import { pollDeviceToken, startDeviceAuthorization } from '../oauth/device'
import { OAuthError, ProtocolError } from '../oauth/errors'
import { TransportError } from '../http/types'
import { createPkce, createState } from '../oauth/pkce'
import { requestToken } from '../oauth/token-endpoint'
import type { OAuthClient, RefreshToken, ServerMetadata, State, TokenSet } from '../oauth/types'
import { isLoopbackRedirectUri } from '../platform/loopback-redirect'
import { isDeadGrantError } from '../providers/quirks'
import { requireRedirectUri } from '../providers/resolve'
import { requestScope } from '../providers/scope'
import type { ResolvedProvider } from '../providers/types'
import type { CredentialKey, StoredCredential } from '../store/credential-store'
import { refreshOnlyTokens, toStoredCredential, withRequestedScope } from './credentials'
import { CodeRejectedError, InputError, LoginTimeoutError } from './errors'
import { startLoginTimer } from './login-timeout'
import { refreshDeadlineMs, withDeadline } from './deadline'
import { refuseIfInterrupted } from './interrupt'
import { resolveMetadata, tokenContext, toOAuthClient } from './provider-context'

export type LoginEvent =
  | {
      type: 'authorize_url'
      url: string
      opened: boolean
      reason?: string
      mode: 'loopback' | 'paste'
      /** A short loopback address redirecting to `url`, offered when no browser opened. */
      short_url?: string
      /** Whether a pasted redirect URL (or code) is also accepted on stdin. */
      accepts_paste?: boolean
    }
  | { type: 'switch_to_device'; reason: string }
  | { type: 'remote_command'; command: string }
  | { type: 'waiting'; redirect_uri: string; timeout_s: number }
  | {
      type: 'device_code'
      user_code: string
      verification_uri: string
      verification_uri_complete?: string
      opened: boolean
      /** The server's URIs that were not opened because they are not https: (or http: on loopback). */
      refused?: string[]
      /** On the first code only: how long the login waits in all, and how long each code lives (its expires_in). */
      wait?: { timeout_s: number; code_expires_s: number }
    }
  | { type: 'exchanging' }

export interface LoginOptions {
  profile: string
  /** Overrides the port of the redirect URI (`--port`). */
  port?: number
  noBrowser: boolean
  timeoutSeconds: number
}

/** A way to log in (browser, device, remote): the tokens, and the client and metadata they were issued for. */
export type LoginFlow = (
  provider: ResolvedProvider,
  options: LoginOptions,
  deps: SessionDeps,
  onEvent: (event: LoginEvent) => void,
) => Promise<LoginResult>

export interface LoginResult {
  tokens: TokenSet
  client: OAuthClient
  metadata: ServerMetadata
}

/**
 * A login's token answer that could not be used (its access token, token type
 * or scope refused: oauth/token-endpoint.ts) but carried a good refresh token. The code is
 * spent and that refresh token is a grant the provider issued, so it is not
 * dropped: the login stores it, with the client and endpoint it was issued
 * for, in place of the old credentials (a good grant replaces them, as a login
 * means to), never the access token; then it fails with this error, saying so.
 * A ProtocolError all the same (exit 1) for any caller that does not keep it.
 */
export class UnusableLoginAnswer extends ProtocolError {
  override readonly issued: { refresh_token: RefreshToken }
  constructor(
    answer: ProtocolError & { issued: { refresh_token: RefreshToken } },
    readonly client: OAuthClient,
    readonly metadata: ServerMetadata,
  ) {
    super(answer.code, answer.message, { cause: answer, issued: answer.issued, ...(answer.status === undefined ? {} : { status: answer.status }) })
    this.name = 'UnusableLoginAnswer'
    this.issued = answer.issued
  }

  /**
   * What is stored: the refresh token, and an empty access token that expired
   * at `now`, so every command refreshes first and none is ever printed or sent.
   */
  credential(key: CredentialKey, now: number): StoredCredential {
    return toStoredCredential(key, refreshOnlyTokens(this.issued.refresh_token, now), {
      client_id: this.client.client_id,
      client_secret: this.client.client_secret,
      token_endpoint: this.metadata.token_endpoint,
      now,
    })
  }

  /** The error the login ends with once `credential()` is stored (the replaced one said as after any login): the answer's, what was kept and what to do. */
  stored(key: CredentialKey): ProtocolError {
    const profile = key.profile === 'default' ? '' : ` --profile ${key.profile}`
    return new ProtocolError(
      this.code,
      `${this.message}; its refresh token was stored for ${key.provider} (profile ${key.profile}), without that access token: run oauth-cli token ${key.provider}${profile} to get a usable one with it`,
      { cause: this },
    )
  }
}

/** A login's token request failed: an unusable answer's good refresh token travels on with the client and metadata it was issued for. */
function keepingIssued(err: unknown, client: OAuthClient, metadata: ServerMetadata): unknown {
  return err instanceof ProtocolError && err.issued !== undefined && !(err instanceof UnusableLoginAnswer)
    ? new UnusableLoginAnswer(err as ProtocolError & { issued: { refresh_token: RefreshToken } }, client, metadata)
    : err
}

/**
 * The redirect URI to use, with `--port` applied; any free loopback port when none
 * is configured, unless the provider has no usable default (`redirect_uri_required`).
 * @throws ConfigError `missing_redirect_uri`, before anything listens
 */
export function chooseRedirectUri(provider: ResolvedProvider, port: number | undefined): URL {
  const raw = requireRedirectUri(provider) ?? 'http://127.0.0.1:0/callback'
  const uri = new URL(raw)
  if (port !== undefined) uri.port = String(port)
  return uri
}

/** Authorization code grant with PKCE (S256) and state. @see https://www.rfc-editor.org/rfc/rfc7636 */
export const browserLogin: LoginFlow = async (provider, options, deps, onEvent) => {
  // First: a provider without a usable redirect URI says so before anything else happens.
  const redirect = chooseRedirectUri(provider, options.port)
  // Then a missing <PROVIDER>_CLIENT_ID, before anything about browsers, as on a terminal.
  const client = toOAuthClient(provider)
  const metadata = await resolveMetadata(provider, deps, ['authorization_endpoint', 'token_endpoint'])
  const unavailable = options.noBrowser ? undefined : deps.browser.unavailableReason()
  // CI without a terminal: nobody is there to approve or paste, so say at once what works here
  // rather than wait out --timeout. An explicit --device (deviceLogin) still waits.
  if (unavailable && deps.env.CI && !deps.io.stdinIsTTY) throw noWayToFinish(deps, provider.name)
  // A redirect URI that is not loopback is paste mode: it needs no browser here, so it is not swapped for the device flow.
  const canUseDevice = metadata.device_authorization_endpoint !== undefined && isLoopbackRedirectUri(redirect)
  if (unavailable && canUseDevice) return switchToDevice(unavailable, provider, options, deps, onEvent)
  const session = await startAuthorization(provider, metadata, client, deps, onEvent, options.profile)
  const { state } = session
  const authorize = session.authorizeUrl
  const exchange = session.exchange
  const flow = isLoopbackRedirectUri(redirect) ? 'browser' : 'paste'
  const timer = startLoginTimer(deps, options.timeoutSeconds, provider.name, undefined, flow)
  try {
    const parts = { redirect, state, authorize, exchange, onEvent, signal: timer.signal, canUseDevice }
    const run = isLoopbackRedirectUri(redirect) ? loopbackFlow(provider, options, deps, parts) : pasteFlow(options, deps, parts)
    return { tokens: await timer.race(run), client, metadata }
  } catch (err) {
    if (err instanceof BrowserFailed) return switchToDevice(err.reason, provider, options, deps, onEvent)
    throw err
  } finally {
    timer.stop()
  }
}

/** One authorization request: its state and PKCE verifier, and the two halves that use them. */
export interface AuthorizationSession {
  state: State
  /** The authorization URL for a redirect URI (RFC 6749 §4.1.1, with PKCE S256). */
  authorizeUrl(redirectUri: string): string
  /** Checks the callback's parameters (state first), then exchanges the code with the verifier. */
  exchange(params: URLSearchParams, redirectUri: string): Promise<TokenSet>
}

/** @see https://www.rfc-editor.org/rfc/rfc7636 */
export async function startAuthorization(
  provider: ResolvedProvider,
  metadata: ServerMetadata,
  client: OAuthClient,
  deps: SessionDeps,
  onEvent: (event: LoginEvent) => void,
  profile = 'default',
): Promise<AuthorizationSession> {
  const state = createState()
  const pkce = provider.config.code_challenge_method === 'none' ? undefined : await createPkce()
  const scope = requestScope(provider.config)
  // A bad OAUTH_CLI_REFRESH_DEADLINE_MS is refused now, before the browser step.
  const deadlineMs = refreshDeadlineMs(deps.env, 'nothing was sent')
  return {
    state,
    authorizeUrl: (redirectUri) =>
      buildAuthorizationUrl(metadata.authorization_endpoint as string, {
        client_id: client.client_id,
        redirect_uri: redirectUri,
        state,
        code_challenge: pkce?.challenge,
        code_challenge_method: pkce ? 'S256' : undefined,
        scope,
        extra: provider.config.authorization_params,
      }).toString(),
    exchange: async (params, redirectUri) => {
      const validated = validateCallback(params, state, metadata, client.client_id)
      onEvent({ type: 'exchanging' })
      // Never retried: an authorization code is single-use.
      try {
        const context = await tokenContext(provider, metadata, client, deps)
        // Nothing is sent after a Ctrl-C: the old credentials stay as they are.
        refuseIfInterrupted(deps.interrupt)
        // Once sent, the code is spent and only the answer holds the tokens: a Ctrl-C then waits for it (within the
        // deadline) and for its save, as for a refresh; a second Ctrl-C abandons them.
        deps.interrupt?.awaitAnswer?.("the login's token request")
        const grant = { grant_type: 'authorization_code', code: validated.code, redirect_uri: redirectUri, code_verifier: pkce?.verifier } as const
        const tokens = await withDeadline(
          deadlineMs,
          metadata.token_endpoint,
          'nothing was stored, and the code may be spent: run the login again',
          (signal) => requestToken(context, grant, signal),
          undefined,
          'the code exchange',
        )
        // RFC 6749 §5.1: an answer without `scope` granted the scope the authorization request asked for.
        return withRequestedScope(tokens, scope, provider.config)
      } catch (err) {
        if (err instanceof OAuthError && isDeadGrantError(provider.config, err)) {
          throw new CodeRejectedError(provider.name, profile, err.error, err.error_description, { cause: err })
        }
        throw keepingIssued(err, client, metadata)
      }
    },
  }
}

/**
 * The headless ladder (README, "No browser here") is one ladder whether no browser
 * can exist here (no display, SSH, CI) or the browser command failed: the device
 * flow where the provider has one, else the URL (and a short one) plus a paste.
 */
function switchToDevice(
  reason: string,
  provider: ResolvedProvider,
  options: LoginOptions,
  deps: SessionDeps,
  onEvent: (event: LoginEvent) => void,
): Promise<LoginResult> {
  onEvent({ type: 'switch_to_device', reason })
  return deviceLogin(provider, options, deps, onEvent)
}

/** Thrown inside a flow when the browser command failed and the device flow can take over. */
class BrowserFailed extends Error {
  override name = 'BrowserFailed'
  constructor(readonly reason: string) {
    super(reason)
  }
}

interface FlowParts {
  /** The provider has a device endpoint: a failing browser command hands over to the device flow. */
  canUseDevice: boolean
  redirect: URL
  state: State
  authorize: (redirectUri: string) => string
  exchange: (params: URLSearchParams, redirectUri: string) => Promise<TokenSet>
  onEvent: (event: LoginEvent) => void
  signal: AbortSignal
}

async function loopbackFlow(
  provider: ResolvedProvider,
  options: LoginOptions,
  deps: SessionDeps,
  parts: FlowParts,
): Promise<TokenSet> {
  const server = await deps.listen({
    redirectUri: parts.redirect,
    expectedState: parts.state,
    providerName: provider.config.display_name ?? provider.name,
    profile: options.profile,
    signal: parts.signal,
  })
  try {
    const url = parts.authorize(server.redirectUri)
    const callback = server.waitForCallback()
    // A callback arriving while the browser command is still being watched proves it opened.
    const arrived = callback.then((): OpenResult => ({ opened: true, via: 'callback' }))
    arrived.catch(() => undefined)
    const opened = options.noBrowser ? undefined : await Promise.race([deps.browser.open(url), arrived])
    if (opened?.opened) {
      parts.onEvent({ type: 'authorize_url', url, opened: true, mode: 'loopback' })
      parts.onEvent({ type: 'waiting', redirect_uri: server.redirectUri, timeout_s: options.timeoutSeconds })
      return await exchangeAndRespond(await callback, server.redirectUri, parts)
    }
    if (opened && !opened.opened && parts.canUseDevice) throw new BrowserFailed(opened.reason ?? 'the browser command failed')
    // No browser: offer a short URL to copy, and accept the redirect pasted back.
    parts.onEvent({
      type: 'authorize_url',
      url,
      opened: false,
      reason: opened?.reason ?? '--no-browser',
      mode: 'loopback',
      short_url: server.setLandingRedirect(url),
      accepts_paste: true,
    })
    parts.onEvent({ type: 'waiting', redirect_uri: server.redirectUri, timeout_s: options.timeoutSeconds })
    return await callbackOrPaste(callback, server.redirectUri, options, deps, parts)
  } finally {
    await server.close()
  }
}

/**
 * Whichever comes first: the browser reaching the listener, or the user
 * pasting where the browser landed (a browser on another machine). A paste
 * that ends at once (stdin closed) means nobody can finish here, unless
 * --no-browser said the user opens the URL elsewhere and the callback may still come.
 */
async function callbackOrPaste(
  callback: Promise<ReceivedCallback>,
  redirectUri: string,
  options: LoginOptions,
  deps: SessionDeps,
  parts: FlowParts,
): Promise<TokenSet> {
  const stopPaste = new AbortController()
  const onAbort = (): void => stopPaste.abort(parts.signal.reason)
  parts.signal.addEventListener('abort', onAbort, { once: true })
  const pasted = deps.io
    .readLine(PASTE_PROMPT, { signal: stopPaste.signal })
    .then((line) => ({ kind: 'paste' as const, line }))
  pasted.catch(() => undefined)
  try {
    let next = await Promise.race([callback.then((cb) => ({ kind: 'callback' as const, cb })), pasted])
    if (next.kind === 'paste' && next.line.trim() === '') {
      // Nothing to read: fail fast only where no browser can reach this listener (no display,
      // SSH, CI). With --no-browser, or a browser command that merely failed, the user may open
      // the printed URL here, so keep waiting for the callback until --timeout.
      if (!options.noBrowser && deps.browser.unavailableReason() !== undefined) throw noWayToFinish(deps)
      next = { kind: 'callback', cb: await callback }
    }
    if (next.kind === 'callback') return await exchangeAndRespond(next.cb, redirectUri, parts)
    return await exchangePasted(next.line, redirectUri, parts)
  } finally {
    parts.signal.removeEventListener('abort', onAbort)
    stopPaste.abort(new Error('login finished'))
  }
}

const PASTE_PROMPT = 'Or paste the URL your browser was redirected to (or just the code): '

/** Stdin ended (Ctrl-D, or an empty pipe) at the paste prompt of a login that can finish only by a paste. */
function nothingPasted(redirect: URL): InputError {
  return new InputError(
    'stdin ended before anything was pasted, so this login cannot finish',
    `run the login again and, after approving, paste the address the browser landed on (it starts with ${redirect.origin}${redirect.pathname}) or just the code`,
  )
}

function noWayToFinish(deps: SessionDeps, providerName?: string): InputError {
  if (deps.env.CI && !deps.io.stdinIsTTY) {
    return new InputError(
      `no browser can be opened in CI and there is no terminal, so a browser login${providerName ? ` to ${providerName}` : ''} cannot finish here`,
      `in CI use: --with-token (a static credential on stdin), oauth-cli import (a bundle made by oauth-cli export), ` +
        `--client-credentials (a confidential client), or --device (waits while you approve on another device)`,
    )
  }
  return new InputError(
    'no browser could be opened and nothing was pasted on stdin, so this login cannot finish here',
    deps.io.stdinIsTTY
      ? 'paste the redirected URL, use --device (if the provider supports it) or --with-token'
      : 'on a machine without a browser use --device (if the provider supports it), --remote, or --with-token for a static credential',
  )
}

async function exchangePasted(line: string, redirectUri: string, parts: FlowParts): Promise<TokenSet> {
  const params = pastedCallbackParams(line, parts.state)
  if (!params.has('code') && !params.has('error')) {
    throw new InputError('nothing usable was pasted: expected the redirected URL or the code')
  }
  return parts.exchange(params, redirectUri)
}

async function exchangeAndRespond(callback: ReceivedCallback, redirectUri: string, parts: FlowParts): Promise<TokenSet> {
  try {
    const tokens = await parts.exchange(callback.params, redirectUri)
    await callback.respond({ ok: true })
    return tokens
  } catch (err) {
    await callback.respond({ ok: false, message: describeForPage(err) })
    throw err
  }
}

/** Any other redirect URI (Livestorm registers one HTTPS URL): the user pastes where the browser landed. */
async function pasteFlow(options: LoginOptions, deps: SessionDeps, parts: FlowParts): Promise<TokenSet> {
  const redirectUri = parts.redirect.toString()
  const url = parts.authorize(redirectUri)
  await announcePaste(url, options, deps, parts.onEvent)
  const line = await deps.io.readLine('Paste the URL your browser was redirected to (or just the code): ', {
    signal: parts.signal,
  })
  if (line.trim() === '') throw nothingPasted(parts.redirect)
  return exchangePasted(line, redirectUri, parts)
}

/**
 * Paste mode's authorization URL: opened in the browser unless --no-browser, and
 * said either way. A browser that fails is no reason for the device flow here:
 * paste mode needs no browser on this machine (canUseDevice is never set for a
 * redirect URI that is not loopback).
 */
async function announcePaste(url: string, options: LoginOptions, deps: SessionDeps, onEvent: FlowParts['onEvent']): Promise<void> {
  if (options.noBrowser) {
    onEvent({ type: 'authorize_url', url, opened: false, reason: '--no-browser', mode: 'paste' })
    return
  }
  const result = await deps.browser.open(url)
  onEvent(
    result.opened
      ? { type: 'authorize_url', url, opened: true, mode: 'paste' }
      : { type: 'authorize_url', url, opened: false, reason: result.reason, mode: 'paste' },
  )
}

/** Device authorization grant. @see https://www.rfc-editor.org/rfc/rfc8628 */
export const deviceLogin: LoginFlow = async (provider, options, deps, onEvent) => {
  const metadata = await resolveMetadata(provider, deps, ['token_endpoint', 'device_authorization_endpoint'])
  if (!metadata.device_authorization_endpoint) {
    throw new InputError(
      `${provider.name} has no device_authorization_endpoint, so --device cannot be used`,
      `run: oauth-cli login ${provider.name} --no-browser`,
    )
  }
  const client = toOAuthClient(provider)
  const context = await tokenContext(provider, metadata, client, deps)
  // --timeout bounds the whole wait like a browser login (exit 5). A code that expires before
  // then is replaced by a new one, printed again: in CI the log shows the code that is current.
  const deadline = deps.clock.now() + options.timeoutSeconds * 1000
  const scope = requestScope(provider.config)
  let browserTried = options.noBrowser
  for (let first = true; ; first = false) {
    const auth = await startDeviceAuthorization(context, scope)
    const issuedAt = deps.clock.now()
    // The server chose these URIs: only a web page is opened (never file:, javascript:, another program).
    const candidates = [auth.verification_uri_complete, auth.verification_uri].filter((u): u is string => u !== undefined)
    const refused = candidates.filter((u) => !isBrowsableUrl(u))
    const target = candidates.find((u) => isBrowsableUrl(u))
    const opened = !browserTried && target !== undefined && (await deps.browser.open(target)).opened
    browserTried = true
    onEvent({
      type: 'device_code',
      user_code: auth.user_code,
      verification_uri: auth.verification_uri,
      verification_uri_complete: auth.verification_uri_complete,
      opened,
      ...(refused.length > 0 ? { refused } : {}),
      ...(first
        ? { wait: { timeout_s: options.timeoutSeconds, code_expires_s: Math.max(0, Math.round((auth.expires_at - deps.clock.now()) / 1000)) } }
        : {}),
    })
    const bounded = deadline < auth.expires_at ? { ...auth, expires_at: deadline } : auth
    try {
      const tokens = await pollDeviceToken(context, bounded, deps.clock, undefined, isConnectionTimeout)
      // RFC 6749 §5.1 (RFC 8628 §3.5 answers as §5.1 does): no `scope` granted the scope asked for with the code.
      return { tokens: withRequestedScope(tokens, scope, provider.config), client, metadata }
    } catch (err) {
      if (!(err instanceof ProtocolError && err.code === 'expired')) throw keepingIssued(err, client, metadata)
      // "Not approved within --timeout" only once that time has passed.
      const now = deps.clock.now()
      if (now >= deadline) throw new LoginTimeoutError(provider.name, options.timeoutSeconds, 'device')
      // A provider that calls a code expired before its own expires_in is not asked again and again: said as it happened.
      if (now < auth.expires_at) throw expiredEarly(provider.name, err, now - issuedAt, auth.expires_at - issuedAt)
    }
  }
}

/** A poll that timed out or whose connection was reset (a keep-alive socket the server closed while idle): RFC 8628 §3.5's "connection timeout". */
function isConnectionTimeout(err: unknown): boolean {
  return err instanceof TransportError && (err.kind === 'timeout' || err.kind === 'reset')
}

/** The provider said `expired_token` for a code before its expires_in (and before --timeout) ran out. */
function expiredEarly(providerName: string, err: ProtocolError, afterMs: number, lifeMs: number): ProtocolError {
  const seconds = (ms: number): string => `${Math.max(0, Math.round(ms / 1000))} s`
  return new ProtocolError(
    'expired',
    `${providerName} said the device code expired after ${seconds(afterMs)}, before it was approved (it was to be valid for ${seconds(lifeMs)})`,
    { cause: err },
  )
}

function describeForPage(err: unknown): string {
  if (err instanceof Error && 'error' in err && typeof err.error === 'string') return `the provider answered: ${err.error}`
  // The page adds "The terminal has the details": say it once, there.
  return 'the code could not be exchanged for tokens'
}
