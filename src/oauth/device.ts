/**
 * The device authorization grant (RFC 8628): start, then poll the token endpoint
 * at the server's pace, on an injected clock so tests run instantly.
 */
import * as oauth from 'oauth4webapi'
import type { Clock } from '../platform/clock'
import { AuthorizationDeniedError, ProtocolError } from './errors'
import type { HttpResponse } from '../http/types'
import { failureFromRaw, parseObjectBody, readErrorBody, readResponse } from './answers'
import { mapRequestError, processWith, requestOptions, toAuthorizationServer, toClient, toClientAuth } from './oauth4'
import { interpretTokenResponse, sendTokenRequest, type TokenEndpointContext } from './token-endpoint'
import type { DeviceCode, TokenSet } from './types'

export interface DeviceAuthorization {
  device_code: DeviceCode
  user_code: string
  verification_uri: string
  verification_uri_complete?: string
  /** Absolute, epoch milliseconds. */
  expires_at: number
  /** The polling interval the server asked for. */
  interval_ms: number
}

/** RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default." */
const DEFAULT_INTERVAL_MS = 5_000
/** RFC 8628 §3.5: on `slow_down` the interval "MUST be increased by 5 seconds" for all later requests. */
const SLOW_DOWN_STEP_MS = 5_000

/**
 * Asks for a device code and user code.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2
 */
export async function startDeviceAuthorization(ctx: TokenEndpointContext, scope?: string): Promise<DeviceAuthorization> {
  const as = toAuthorizationServer(ctx.metadata)
  const client = toClient(ctx.client)
  let response: Response
  try {
    const params: Record<string, string> = scope ? { scope } : {}
    response = await oauth.deviceAuthorizationRequest(as, client, toClientAuth(ctx.client), params, requestOptions(ctx.http, ctx.encoding))
  } catch (err) {
    throw mapRequestError(err, 'device_authorization_endpoint')
  }
  const now = ctx.now()
  const answer = await processWith('device', response, (r) => oauth.processDeviceAuthorizationResponse(as, client, r))
  const started: DeviceAuthorization = {
    device_code: answer.device_code as DeviceCode,
    user_code: answer.user_code,
    verification_uri: answer.verification_uri,
    expires_at: now + answer.expires_in * 1000,
    // A server asking for interval 0 would get a busy loop; one second is the least we poll at.
    interval_ms: answer.interval === undefined ? DEFAULT_INTERVAL_MS : Math.max(1_000, answer.interval * 1000),
  }
  if (answer.verification_uri_complete !== undefined) started.verification_uri_complete = answer.verification_uri_complete
  return started
}

export type DevicePollOutcome =
  | { kind: 'pending' }
  | { kind: 'slow_down' }
  | { kind: 'success'; tokens: TokenSet }
  | { kind: 'denied' }
  | { kind: 'expired' }

/**
 * Interprets one poll answer: the four §3.5 error codes become outcomes; any
 * other error throws OAuthError('device', …), and a body that is neither tokens
 * nor an OAuth error throws ProtocolError.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5
 */
export async function classifyDevicePollResponse(response: HttpResponse, now: number): Promise<DevicePollOutcome> {
  const raw = await readResponse(response)
  const body = parseObjectBody(raw)
  const error = readErrorBody(body)
  // Some servers (GitHub) send these errors with status 200 and no access_token.
  if (error && body?.access_token === undefined) {
    switch (error.error) {
      case 'authorization_pending':
        return { kind: 'pending' }
      case 'slow_down':
        return { kind: 'slow_down' }
      case 'access_denied':
        return { kind: 'denied' }
      case 'expired_token':
        return { kind: 'expired' }
      default:
        throw failureFromRaw('device', raw)
    }
  }
  return { kind: 'success', tokens: interpretTokenResponse(raw, now, 'device') }
}

/**
 * Polls until the user approves, refuses, or the device code expires. Sleeps the
 * interval before each request and adds 5 s on every `slow_down`, cumulatively;
 * doubles it on each poll that failed with what `isConnectionTimeout` calls a
 * connection timeout (session/login-flows.ts: a timeout or a reset), and polls again.
 * @throws ProtocolError('expired') once `expires_at` has passed
 * @throws AuthorizationDeniedError('access_denied') when the user refused
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.4
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5
 */
export async function pollDeviceToken(
  ctx: TokenEndpointContext,
  auth: DeviceAuthorization,
  clock: Clock,
  signal?: AbortSignal,
  /** Whether a poll's failure is a connection timeout (the caller knows its HttpClient's errors): polled again, less often. */
  isConnectionTimeout: (err: unknown) => boolean = () => false,
): Promise<TokenSet> {
  const grant = { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: auth.device_code } as const
  let interval = auth.interval_ms
  /** The last poll's connection timeout or reset, while polling goes on: what is said if the code runs out meanwhile. */
  let failing: unknown
  for (;;) {
    await clock.sleep(interval, signal)
    if (clock.now() >= auth.expires_at) throw failing === undefined ? expired() : failing
    signal?.throwIfAborted()
    let outcome: DevicePollOutcome
    try {
      outcome = await classifyDevicePollResponse(await sendTokenRequest(ctx, grant, signal), ctx.now())
      failing = undefined
    } catch (err) {
      // §3.5: "On encountering a connection timeout, clients MUST unilaterally reduce their polling frequency before
      // retrying", doubling the interval is RECOMMENDED. A poll is safe to repeat (a device code yields tokens once).
      if (!isConnectionTimeout(err)) throw err
      failing = err
      interval *= 2
      continue
    }
    switch (outcome.kind) {
      case 'pending':
        break
      case 'slow_down':
        interval += SLOW_DOWN_STEP_MS
        break
      case 'success':
        return outcome.tokens
      case 'denied':
        throw new AuthorizationDeniedError('access_denied', 'the user refused the device authorization')
      case 'expired':
        throw expired()
      default: {
        const unknown: never = outcome
        throw new TypeError(`unknown device poll outcome ${JSON.stringify(unknown)}`)
      }
    }
  }
}

function expired(): ProtocolError {
  return new ProtocolError('expired', 'the device code expired before the authorization was completed')
}
