/**
 * Device authorization: the endpoint a device calls, the verification page
 * where the user types the code, and the page's answer.
 * @see https://www.rfc-editor.org/rfc/rfc8628
 */
import { readDecision } from './authorize-routes'
import { authenticateClient } from './clients'
import { findRepeated, readParams, requestUrl, sendHtml, sendJson, sendOAuthError, type Handler } from './http'
import { renderDeviceConfirmPage, renderDeviceEntryPage, renderNoticePage } from './pages'
import { SANDBOX_DEFAULT_SCOPE } from './provider'
import { parseScope } from './rules'
import { SANDBOX_USER } from './state'

/** @see https://www.rfc-editor.org/rfc/rfc8628#section-3.1 @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2 */
export const handleDeviceAuthorization: Handler = async (req, res, ctx) => {
  const parsed = await readParams(req)
  if (!parsed.ok) return sendOAuthError(res, 400, 'invalid_request', parsed.description)
  const repeated = findRepeated(parsed.params)
  if (repeated) return sendOAuthError(res, 400, 'invalid_request', `${repeated} is repeated`)
  const auth = authenticateClient(req.headers.authorization, parsed.params, ctx.clients)
  if (!auth.ok) return sendOAuthError(res, auth.status, auth.error, auth.description, clientChallenge(auth.status))
  const scope = parseScope(parsed.params.get('scope') || SANDBOX_DEFAULT_SCOPE)
  if (!scope) return sendOAuthError(res, 400, 'invalid_scope', 'the requested scope is unknown')
  const start = ctx.state.startDevice(auth.client.client_id, scope)
  if (ctx.autoApprove) ctx.state.decideDevice(start.userCode, true)
  const verification = `${ctx.url}/device`
  sendJson(res, 200, {
    device_code: start.deviceCode,
    user_code: start.userCode,
    verification_uri: verification,
    verification_uri_complete: `${verification}?user_code=${encodeURIComponent(start.userCode)}`,
    expires_in: start.expiresIn,
    interval: start.interval,
  })
}

/** RFC 6749 §5.2: a 401 for client authentication names the scheme to use. */
export function clientChallenge(status: number): Record<string, string> {
  return status === 401 ? { 'WWW-Authenticate': 'Basic realm="oauth-cli sandbox"' } : {}
}

/**
 * The verification page: without a code, the form; with one (typed, or from
 * `verification_uri_complete`), the confirmation with Allow and Deny, so the
 * user still compares the code with the device's (RFC 8628 §5.4).
 */
export const handleDevicePage: Handler = async (req, res, ctx) => {
  const typed = requestUrl(req, ctx.url).searchParams.get('user_code')
  if (typed === null) return sendHtml(res, 200, renderDeviceEntryPage())
  const pending = ctx.state.findPendingDevice(typed)
  if (!pending) {
    const error = 'That code is not valid, has expired, or was already used. Check the code on your device.'
    return sendHtml(res, 400, renderDeviceEntryPage({ error, typed: typed.slice(0, 20) }))
  }
  const consentId = ctx.state.openConsent({ kind: 'device', ...pending })
  const clientName = ctx.clients.get(pending.clientId)?.name ?? pending.clientId
  const page = renderDeviceConfirmPage({ userCode: pending.userCode, clientName, scope: pending.scope, consentId, user: SANDBOX_USER })
  sendHtml(res, 200, page)
}

/** Records Allow or Deny for the device; the device learns it on its next poll. */
export const handleDeviceDecision: Handler = async (req, res, ctx) => {
  const answer = await readDecision(req, res)
  if (!answer) return
  const consent = ctx.state.takeConsent(answer.consentId)
  const decided = consent?.kind === 'device' && ctx.state.decideDevice(consent.userCode, answer.decision === 'allow')
  if (!decided) {
    sendHtml(res, 400, renderNoticePage('This page has expired', 'The code was already answered or has expired.', 'bad',
      'Start the sign-in again on your device.'))
    return
  }
  if (answer.decision === 'allow') {
    sendHtml(res, 200, renderNoticePage('Device connected', 'You allowed the device to use your account.', 'ok',
      'Return to your device: it finishes signing in within a few seconds. You can close this tab.'))
    return
  }
  sendHtml(res, 200, renderNoticePage('Request denied', 'The device will not get access to your account.', 'neutral',
    'You can close this tab.'))
}
