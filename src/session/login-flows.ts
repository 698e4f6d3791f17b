/**
 * browserLogin / deviceLogin: glue the OAuth core, the browser, the loopback
 * listener and the clock. They report progress through `onEvent` and return
 * tokens; storing them is the caller's job, after success only, so a failed
 * login leaves the old credentials alone.
 */
import type { Deps } from '../cli/deps'
import { buildAuthorizationUrl } from '../oauth/authorize-url'
import { parsePastedCallback, validateCallback } from '../oauth/callback'
import type { ReceivedCallback } from '../oauth/callback-server'
import { pollDeviceToken, startDeviceAuthorization } from '../oauth/device'
import { createPkce, createState } from '../oauth/pkce'
import { requestToken, type TokenEndpointContext } from '../oauth/token-endpoint'
import type { OAuthClient, ServerMetadata, State, TokenSet } from '../oauth/types'
import type { ResolvedProvider } from '../providers/types'
import { InputError, LoginTimeoutError } from './errors'
import { resolveMetadata, toOAuthClient } from './provider-context'

export type LoginEvent =
  | { type: 'authorize_url'; url: string; opened: boolean; reason?: string; mode: 'loopback' | 'paste' }
  | { type: 'waiting'; redirect_uri: string; timeout_s: number }
  | { type: 'device_code'; user_code: string; verification_uri: string; verification_uri_complete?: string; opened: boolean }
  | { type: 'exchanging' }

export interface LoginOptions {
  profile: string
  /** Overrides the port of the redirect URI (`--port`). */
  port?: number
  noBrowser: boolean
  timeoutSeconds: number
}

export interface LoginResult {
  tokens: TokenSet
  client: OAuthClient
  metadata: ServerMetadata
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost'])

/** The redirect URI to use, with `--port` applied. */
export function chooseRedirectUri(provider: ResolvedProvider, port: number | undefined): URL {
  const raw = provider.config.redirect_uri ?? 'http://127.0.0.1:0/callback'
  const uri = new URL(raw)
  if (port !== undefined) uri.port = String(port)
  return uri
}

export function isLoopbackRedirect(uri: URL): boolean {
  return uri.protocol === 'http:' && LOOPBACK_HOSTS.has(uri.hostname)
}

/** Authorization code grant with PKCE (S256) and state. @see https://www.rfc-editor.org/rfc/rfc7636 */
export async function browserLogin(
  provider: ResolvedProvider,
  options: LoginOptions,
  deps: Deps,
  onEvent: (event: LoginEvent) => void,
): Promise<LoginResult> {
  const metadata = await resolveMetadata(provider, deps, ['authorization_endpoint', 'token_endpoint'])
  const client = toOAuthClient(provider)
  const state = createState()
  const pkce = provider.config.code_challenge_method === 'none' ? undefined : await createPkce()
  const redirect = chooseRedirectUri(provider, options.port)
  const timeout = new AbortController()
  const timer = deps.clock.sleep(options.timeoutSeconds * 1000, timeout.signal).then(
    () => 'timeout' as const,
    () => 'cancelled' as const,
  )
  try {
    const authorize = (redirectUri: string): string =>
      buildAuthorizationUrl(metadata.authorization_endpoint as string, {
        client_id: client.client_id,
        redirect_uri: redirectUri,
        state,
        code_challenge: pkce?.challenge,
        code_challenge_method: pkce ? 'S256' : undefined,
        scope: provider.config.scope,
        extra: provider.config.authorization_params,
      }).toString()
    const exchange = async (params: URLSearchParams, redirectUri: string): Promise<TokenSet> => {
      const validated = validateCallback(params, state, metadata, client.client_id)
      onEvent({ type: 'exchanging' })
      return requestToken(await tokenContext(provider, metadata, client, deps), {
        grant_type: 'authorization_code',
        code: validated.code,
        redirect_uri: redirectUri,
        code_verifier: pkce?.verifier,
      })
    }
    const run = isLoopbackRedirect(redirect)
      ? loopbackFlow(provider, options, deps, { redirect, state, authorize, exchange, onEvent, signal: timeout.signal })
      : pasteFlow(options, deps, { redirect, state, authorize, exchange, onEvent, signal: timeout.signal })
    const outcome = await Promise.race([run, timer])
    if (outcome === 'timeout' || outcome === 'cancelled') {
      throw new LoginTimeoutError(provider.name, options.timeoutSeconds)
    }
    return { tokens: outcome, client, metadata }
  } finally {
    timeout.abort(new Error('login finished'))
  }
}

interface FlowParts {
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
  deps: Deps,
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
    await announce(url, 'loopback', options, deps, parts.onEvent)
    parts.onEvent({ type: 'waiting', redirect_uri: server.redirectUri, timeout_s: options.timeoutSeconds })
    const callback = await server.waitForCallback()
    return await exchangeAndRespond(callback, server.redirectUri, parts)
  } finally {
    await server.close()
  }
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
async function pasteFlow(options: LoginOptions, deps: Deps, parts: FlowParts): Promise<TokenSet> {
  const redirectUri = parts.redirect.toString()
  const url = parts.authorize(redirectUri)
  await announce(url, 'paste', options, deps, parts.onEvent)
  const line = await deps.io.readLine('Paste the URL your browser was redirected to (or just the code): ', {
    signal: parts.signal,
  })
  const params = parsePastedCallback(line)
  if (!params.has('code') && !params.has('error')) {
    throw new InputError('nothing usable was pasted: expected the redirected URL or the code')
  }
  // A bare code carries no state; a pasted URL is checked like a callback.
  if (!params.has('state')) params.set('state', parts.state)
  return parts.exchange(params, redirectUri)
}

async function announce(
  url: string,
  mode: 'loopback' | 'paste',
  options: LoginOptions,
  deps: Deps,
  onEvent: (event: LoginEvent) => void,
): Promise<void> {
  if (options.noBrowser) {
    onEvent({ type: 'authorize_url', url, opened: false, reason: '--no-browser', mode })
    return
  }
  const result = await deps.browser.open(url)
  onEvent(
    result.opened
      ? { type: 'authorize_url', url, opened: true, mode }
      : { type: 'authorize_url', url, opened: false, reason: result.reason, mode },
  )
}

/** Device authorization grant. @see https://www.rfc-editor.org/rfc/rfc8628 */
export async function deviceLogin(
  provider: ResolvedProvider,
  options: LoginOptions,
  deps: Deps,
  onEvent: (event: LoginEvent) => void,
): Promise<LoginResult> {
  const metadata = await resolveMetadata(provider, deps, ['token_endpoint', 'device_authorization_endpoint'])
  if (!metadata.device_authorization_endpoint) {
    throw new InputError(
      `${provider.name} has no device_authorization_endpoint, so --device cannot be used`,
      `run: oauth-cli login ${provider.name} --no-browser`,
    )
  }
  const client = toOAuthClient(provider)
  const context = await tokenContext(provider, metadata, client, deps)
  const auth = await startDeviceAuthorization(context, provider.config.scope)
  const opened =
    !options.noBrowser && (await deps.browser.open(auth.verification_uri_complete ?? auth.verification_uri)).opened
  onEvent({
    type: 'device_code',
    user_code: auth.user_code,
    verification_uri: auth.verification_uri,
    verification_uri_complete: auth.verification_uri_complete,
    opened,
  })
  const timeout = AbortSignal.timeout(options.timeoutSeconds * 1000)
  const tokens = await pollDeviceToken(context, auth, deps.clock, timeout)
  return { tokens, client, metadata }
}

async function tokenContext(
  provider: ResolvedProvider,
  metadata: ServerMetadata,
  client: OAuthClient,
  deps: Deps,
): Promise<TokenEndpointContext> {
  return {
    metadata,
    client,
    encoding: provider.config.token_request_encoding ?? 'form',
    http: await deps.http(),
    now: () => deps.clock.now(),
  }
}

function describeForPage(err: unknown): string {
  if (err instanceof Error && 'error' in err && typeof err.error === 'string') return `the provider answered: ${err.error}`
  return 'the login could not be completed; see the terminal for details'
}
