import { describe, expect, it } from 'vitest'
import {
  classifyDevicePollResponse,
  pollDeviceToken,
  startDeviceAuthorization,
  type DeviceAuthorization,
} from '../../../src/oauth/device'
import { AuthorizationDeniedError, OAuthError, ProtocolError } from '../../../src/oauth/errors'
import type { TokenEndpointContext } from '../../../src/oauth/token-endpoint'
import type { DeviceCode } from '../../../src/oauth/types'
import { deviceAuthorizationBody, fullTokenBody, SECRETS } from '../../fixtures/oauth/bodies'
import { FakeClock, jsonResponse, scriptedHttp, textResponse } from './helpers'
import { rejectionOf } from '../../fakes'

const metadata = {
  issuer: 'https://id.acme.example',
  token_endpoint: 'https://id.acme.example/token',
  device_authorization_endpoint: 'https://id.acme.example/device',
}

function context(http: TokenEndpointContext['http'], clock: FakeClock): TokenEndpointContext {
  return { metadata, client: { client_id: 'cid', token_endpoint_auth_method: 'none' }, encoding: 'form', http, now: () => clock.now() }
}

const rejection = (promise: Promise<unknown>) => rejectionOf(promise)

const pending = () => jsonResponse(400, { error: 'authorization_pending' })
const slowDown = () => jsonResponse(400, { error: 'slow_down' })

describe('startDeviceAuthorization', () => {
  it('posts client_id and scope and reads the answer with an absolute expiry', async () => {
    const clock = new FakeClock(1_000_000)
    const http = scriptedHttp(jsonResponse(200, deviceAuthorizationBody))
    const started = await startDeviceAuthorization(context(http, clock), 'openid profile')
    expect(http.requests[0]?.url).toBe('https://id.acme.example/device')
    expect(Object.fromEntries(new URLSearchParams(http.requests[0]?.body))).toEqual({ client_id: 'cid', scope: 'openid profile' })
    expect(started).toEqual({
      device_code: SECRETS.deviceCode,
      user_code: 'WDJB-MJHT',
      verification_uri: 'https://id.acme.example/device',
      verification_uri_complete: 'https://id.acme.example/device?user_code=WDJB-MJHT',
      expires_at: 1_000_000 + 1_800_000,
      interval_ms: 5_000,
    })
  })

  it('defaults the interval to 5 s when the server gives none', async () => {
    const { interval: _unused, ...body } = deviceAuthorizationBody
    const started = await startDeviceAuthorization(context(scriptedHttp(jsonResponse(200, body)), new FakeClock()))
    expect(started.interval_ms).toBe(5_000)
  })

  it('turns an RFC error into OAuthError(device)', async () => {
    const err = await rejection(startDeviceAuthorization(context(scriptedHttp(jsonResponse(400, { error: 'invalid_client' })), new FakeClock())))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ step: 'device', error: 'invalid_client', status: 400 })
  })

  it('turns an answer without device_code into invalid_response', async () => {
    const { device_code: _unused, ...body } = deviceAuthorizationBody
    const err = await rejection(startDeviceAuthorization(context(scriptedHttp(jsonResponse(200, body)), new FakeClock())))
    expect((err as ProtocolError).code).toBe('invalid_response')
  })

  it('refuses to start without a device_authorization_endpoint', async () => {
    const ctx = { ...context(scriptedHttp(), new FakeClock()), metadata: { issuer: metadata.issuer, token_endpoint: metadata.token_endpoint } }
    expect(((await rejection(startDeviceAuthorization(ctx))) as ProtocolError).code).toBe('missing_endpoint')
  })
})

describe('classifyDevicePollResponse', () => {
  it.each([
    ['authorization_pending', 'pending'],
    ['slow_down', 'slow_down'],
    ['access_denied', 'denied'],
    ['expired_token', 'expired'],
  ])('maps %s to %s', async (error, kind) => {
    expect(await classifyDevicePollResponse(jsonResponse(400, { error }), 0)).toEqual({ kind })
  })

  it('maps a pending answer sent with status 200 (GitHub) to pending', async () => {
    expect(await classifyDevicePollResponse(jsonResponse(200, { error: 'authorization_pending' }), 0)).toEqual({ kind: 'pending' })
  })

  it('returns the tokens on success', async () => {
    const outcome = await classifyDevicePollResponse(jsonResponse(200, fullTokenBody), 10)
    expect(outcome).toMatchObject({ kind: 'success', tokens: { access_token: SECRETS.accessToken, expires_at: 10 + 3_600_000 } })
  })

  it('throws OAuthError(device) for any other error', async () => {
    const err = await rejection(classifyDevicePollResponse(jsonResponse(400, { error: 'invalid_grant' }), 0))
    expect(err).toMatchObject({ step: 'device', error: 'invalid_grant' })
  })

  it('throws not_json for an HTML page', async () => {
    const err = await rejection(classifyDevicePollResponse(textResponse(502, '<html>'), 0))
    expect((err as ProtocolError).code).toBe('not_json')
  })
})

describe('pollDeviceToken', () => {
  const auth = (clock: FakeClock, overrides: Partial<DeviceAuthorization> = {}): DeviceAuthorization => ({
    device_code: SECRETS.deviceCode as DeviceCode,
    user_code: 'WDJB-MJHT',
    verification_uri: 'https://id.acme.example/device',
    expires_at: clock.now() + 600_000,
    interval_ms: 5_000,
    ...overrides,
  })

  it('waits the interval, adds 5 s on each slow_down, and returns the tokens', async () => {
    const clock = new FakeClock()
    const http = scriptedHttp(pending(), slowDown(), pending(), slowDown(), jsonResponse(200, fullTokenBody))
    const tokens = await pollDeviceToken(context(http, clock), auth(clock), clock)
    expect(clock.sleeps).toEqual([5_000, 5_000, 10_000, 10_000, 15_000])
    expect(tokens.access_token).toBe(SECRETS.accessToken)
    expect(http.requests).toHaveLength(5)
    for (const request of http.requests) {
      expect(new URLSearchParams(request.body).get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:device_code')
      expect(new URLSearchParams(request.body).get('device_code')).toBe(SECRETS.deviceCode)
    }
  })

  it('throws AuthorizationDeniedError when the user refuses', async () => {
    const clock = new FakeClock()
    const http = scriptedHttp(pending(), jsonResponse(400, { error: 'access_denied' }))
    const err = await rejection(pollDeviceToken(context(http, clock), auth(clock), clock))
    expect(err).toBeInstanceOf(AuthorizationDeniedError)
    expect((err as AuthorizationDeniedError).error).toBe('access_denied')
  })

  it('stops with expired once the clock passes expires_at, without polling again', async () => {
    const clock = new FakeClock()
    const http = scriptedHttp(pending(), pending())
    const err = await rejection(pollDeviceToken(context(http, clock), auth(clock, { expires_at: clock.now() + 12_000 }), clock))
    expect((err as ProtocolError).code).toBe('expired')
    expect(clock.sleeps).toEqual([5_000, 5_000, 5_000])
    expect(http.requests).toHaveLength(2)
  })

  it('stops with expired when the server says expired_token', async () => {
    const clock = new FakeClock()
    const err = await rejection(pollDeviceToken(context(scriptedHttp(jsonResponse(400, { error: 'expired_token' })), clock), auth(clock), clock))
    expect((err as ProtocolError).code).toBe('expired')
  })

  it('stops when aborted', async () => {
    const clock = new FakeClock()
    const controller = new AbortController()
    const http = scriptedHttp(() => {
      controller.abort(new Error('user pressed ctrl-c'))
      return pending()
    })
    const err = await rejection(pollDeviceToken(context(http, clock), auth(clock), clock, controller.signal))
    expect(err.message).toBe('user pressed ctrl-c')
    expect(http.requests).toHaveLength(1)
  })
})
