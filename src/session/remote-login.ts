/**
 * Remote login (like rclone's `authorize`): the machine without a browser
 * prints a one-line command; a machine with a browser runs it, catches the
 * redirect on its own loopback listener and prints a one-line answer; pasted
 * back, the first machine exchanges the code. The answer is useless without
 * the PKCE verifier, which never leaves the first machine.
 */
import type { SessionDeps } from './deps'
import type { State } from '../oauth/types'
import { ListenError } from '../oauth/callback-server'
import { isSecureOrLoopbackUrl } from '../oauth/loopback-hosts'
import { isLoopbackRedirectUri } from '../platform/loopback-redirect'
import { InputError } from './errors'
import { PROVIDER_NAME_PATTERN } from '../providers/schema'
import { DEFAULT_PROFILE, isValidProfileName } from './profiles'
import { startLoginTimer } from './login-timeout'
import {
  chooseRedirectUri,
  startAuthorization,
  type LoginEvent,
  type LoginOptions,
  type LoginFlow,
} from './login-flows'
import { resolveMetadata, toOAuthClient } from './provider-context'

const REQUEST_PREFIX = 'oauth-cli-remote:v1:'
const ANSWER_PREFIX = 'oauth-cli-answer:v1:'

/** What the browser machine needs: no secret, only the public half of PKCE. */
export interface RemoteRequest {
  provider: string
  profile: string
  authorize_url: string
  redirect_uri: string
  state: string
  /** The provider's display name, for the page after approval (the browser machine may not have its config). */
  display_name?: string
}

/** What the browser machine sends back: the callback's parameters. */
export interface RemoteAnswer {
  state: string
  params: Record<string, string>
}

export function encodeRemoteRequest(request: RemoteRequest): string {
  return REQUEST_PREFIX + Buffer.from(JSON.stringify(request)).toString('base64url')
}

export function decodeRemoteRequest(text: string): RemoteRequest {
  const value = decode(text, REQUEST_PREFIX, 'the remote login request')
  const fields = ['provider', 'profile', 'authorize_url', 'redirect_uri', 'state'] as const
  if (!fields.every((f) => typeof value[f] === 'string')) {
    throw new InputError('the remote login request is incomplete; copy the whole command again')
  }
  const request = value as unknown as RemoteRequest
  // The line came from another machine or a chat: its names follow the rules a config file and --profile do (no
  // terminal escapes, nothing a store could not key), as `login --remote` made them.
  if (!PROVIDER_NAME_PATTERN.test(request.provider)) throw notMade('its provider is not a provider name')
  if (!isValidProfileName(request.profile)) throw notMade('its profile is not a profile name')
  if (request.display_name !== undefined && (typeof request.display_name !== 'string' || request.display_name.length > 200 || CONTROL.test(request.display_name))) {
    throw notMade('unexpected display name')
  }
  const authorizeUrl = parsedUrl(request.authorize_url)
  const redirectUri = parsedUrl(request.redirect_uri)
  // SPEC: endpoints are https:, plain http: only on loopback; login --remote never makes anything else.
  if (!authorizeUrl || !redirectUri || !isSecureOrLoopbackUrl(authorizeUrl) || !isLoopbackRedirectUri(redirectUri)) {
    throw notMade('unexpected URLs')
  }
  return request
}

/** C0 and C1 controls and DEL: terminal escapes. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

function notMade(why: string): InputError {
  return new InputError(
    `the remote login request is not one this tool made (${why})`,
    'copy the whole command `oauth-cli login --remote` printed, or run that login again for a new one',
  )
}

function parsedUrl(text: string): URL | undefined {
  try {
    return new URL(text)
  } catch {
    return undefined
  }
}

export function encodeRemoteAnswer(answer: RemoteAnswer): string {
  return ANSWER_PREFIX + Buffer.from(JSON.stringify(answer)).toString('base64url')
}

export function decodeRemoteAnswer(text: string): RemoteAnswer {
  const value = decode(text, ANSWER_PREFIX, 'the answer')
  if (typeof value.state !== 'string' || typeof value.params !== 'object' || value.params === null) {
    throw new InputError('the answer is incomplete; copy the whole line again')
  }
  return value as unknown as RemoteAnswer
}

function decode(text: string, prefix: string, what: string): Record<string, unknown> {
  const trimmed = text.trim()
  if (!trimmed.startsWith(prefix)) throw new InputError(`that is not ${what}: it should start with ${prefix}`)
  try {
    const value: unknown = JSON.parse(Buffer.from(trimmed.slice(prefix.length), 'base64url').toString('utf8'))
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>
  } catch {
    // fall through
  }
  throw new InputError(`${what} is damaged; copy the whole line again`)
}

/** The headless side: print the command, wait for the pasted answer, exchange. */
export const remoteLogin: LoginFlow = async (provider, options, deps, onEvent) => {
  const redirect = chooseRedirectUri(provider, options.port)
  const metadata = await resolveMetadata(provider, deps, ['authorization_endpoint', 'token_endpoint'])
  const client = toOAuthClient(provider)
  if (!isLoopbackRedirectUri(redirect) || redirect.port === '0') {
    throw new InputError(
      `--remote needs a loopback redirect URI with a fixed port registered with ${provider.name}; got ${redirect.href}`,
      `pass --redirect-uri http://localhost:<port>/callback, or log in without --remote`,
    )
  }
  const session = await startAuthorization(provider, metadata, client, deps, onEvent, options.profile)
  const url = session.authorizeUrl(redirect.href)
  const request = encodeRemoteRequest({
    provider: provider.name,
    ...(provider.config.display_name ? { display_name: provider.config.display_name } : {}),
    profile: options.profile,
    authorize_url: url,
    redirect_uri: redirect.href,
    state: session.state,
  })
  onEvent({ type: 'remote_command', command: `oauth-cli authorize '${request}'` })
  const answer = await readAnswer(deps, options)
  const tokens = await session.exchange(new URLSearchParams(answer.params), redirect.href)
  return { tokens, client, metadata }
}

async function readAnswer(deps: SessionDeps, options: LoginOptions): Promise<RemoteAnswer> {
  const timer = startLoginTimer(deps, options.timeoutSeconds, 'the remote login')
  try {
    const first = await timer.race(deps.io.readLine('Paste the line it prints here: ', { signal: timer.signal }))
    if (first.trim() === '') throw new InputError('nothing was pasted; run the printed command on a machine with a browser and paste its answer')
    return decodeRemoteAnswer(first)
  } finally {
    timer.stop()
  }
}

/** The browser side: catch the redirect and print the answer; never exchanges anything. */
export async function authorizeForRemote(
  request: RemoteRequest,
  options: { noBrowser: boolean; timeoutSeconds: number },
  deps: SessionDeps,
  onEvent: (event: LoginEvent) => void,
): Promise<string> {
  const timeout = new AbortController()
  const server = await deps
    .listen({
      redirectUri: new URL(request.redirect_uri),
      expectedState: request.state as State,
      providerName: request.display_name ?? request.provider,
      profile: request.profile,
      signal: timeout.signal,
    })
    .catch((err: unknown) => {
      throw err instanceof ListenError ? cannotListen(err, request) : err
    })
  const timer = startLoginTimer(deps, options.timeoutSeconds, request.provider, timeout)
  try {
    const opened = options.noBrowser ? undefined : await deps.browser.open(request.authorize_url)
    onEvent({
      type: 'authorize_url',
      url: request.authorize_url,
      opened: opened?.opened === true,
      reason: opened?.opened === false ? opened.reason : undefined,
      mode: 'loopback',
      short_url: opened?.opened ? undefined : server.setLandingRedirect(request.authorize_url),
    })
    const first = await timer.race(server.waitForCallback())
    // Nothing is signed in yet: the answer still has to be pasted on the other machine.
    await first.respond({ ok: true, relayed: true })
    return encodeRemoteAnswer({ state: request.state, params: Object.fromEntries(first.params) })
  } finally {
    timer.stop()
    await server.close()
  }
}

/**
 * The port is the request's (the redirect URI registered with the provider, chosen by `login --remote`):
 * `authorize` has no --port, so the way to another port is a new request from the other machine.
 */
function cannotListen(err: ListenError, request: RemoteRequest): InputError {
  const other = `or run \`oauth-cli login ${request.provider}${request.profile === DEFAULT_PROFILE ? '' : ` --profile ${request.profile}`} --remote --port <n>\` again on the other machine with another port registered with the provider, and use its new command`
  return err.code === 'port_in_use'
    ? new InputError(`port ${err.port} on ${err.host} is already in use, so the login callback cannot be received`, `stop what is using port ${err.port} and run this again, ${other}`)
    : new InputError(`cannot listen on ${err.host}:${err.port} for the login callback`, `run this as a user who may listen on port ${err.port}, ${other}`)
}
