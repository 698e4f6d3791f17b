/**
 * `GET /authorize` and the consent page's answer, `POST /authorize/decision`.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { buildRedirect, checkAuthorizationRequest } from './authorize'
import { isSameOriginPost, readParams, requestUrl, sendHtml, sendRedirect, type Handler, type SandboxContext } from './http'
import { renderConsentPage, renderNoticePage } from './pages'
import { SANDBOX_USER, type AuthorizationRequest } from './state'

/** The origin a consent form's answer redirects to, as a CSP source (CSP has no syntax for IPv6 literals). */
function formTarget(redirectUri: string): string {
  const url = new URL(redirectUri)
  return url.hostname.startsWith('[') ? 'http:' : url.origin
}

function redirectWithCode(res: ServerResponse, status: 302 | 303, request: AuthorizationRequest, ctx: SandboxContext): void {
  const code = ctx.state.issueCode(request)
  sendRedirect(res, status, buildRedirect(request.redirectUri, { code, state: request.state }, ctx.url))
}

/** Validates the request, then shows the consent page (or, with autoApprove, answers at once). */
export const handleAuthorize: Handler = async (req, res, ctx) => {
  const check = checkAuthorizationRequest(requestUrl(req, ctx.url).searchParams, ctx.clients)
  switch (check.kind) {
    case 'page_error':
      sendHtml(res, 400, renderNoticePage('This sign-in cannot continue', check.message, 'bad',
        'You were not sent back to the application, because the sandbox cannot be sure where it lives.'))
      return
    case 'redirect_error': {
      const params = { error: check.error, error_description: check.description, state: check.state }
      sendRedirect(res, 302, buildRedirect(check.redirectUri, params, ctx.url))
      return
    }
    case 'ok': {
      if (ctx.autoApprove) return redirectWithCode(res, 302, check.request, ctx)
      const consentId = ctx.state.openConsent({ kind: 'authorize', request: check.request })
      const page = renderConsentPage({
        clientName: check.client.name,
        clientId: check.client.client_id,
        scope: check.request.scope,
        redirectUri: check.request.redirectUri,
        consentId,
        user: SANDBOX_USER,
      })
      sendHtml(res, 200, page, [formTarget(check.request.redirectUri)])
      return
    }
    default: {
      const never: never = check
      throw new Error(`unexpected check ${String(never)}`)
    }
  }
}

export type Decision = 'allow' | 'deny'

/**
 * Reads a consent form's answer: the form must come from the sandbox's own page
 * and carry a decision; the consent id is checked by the caller.
 */
export async function readDecision(
  req: IncomingMessage,
  res: ServerResponse,
): Promise<{ consentId: string; decision: Decision } | undefined> {
  const refuse = (status: number, message: string): undefined => {
    sendHtml(res, status, renderNoticePage('This answer was not accepted', message, 'bad'))
    return undefined
  }
  if (!isSameOriginPost(req)) return refuse(403, 'The answer did not come from a sandbox page.')
  const parsed = await readParams(req)
  if (!parsed.ok) return refuse(400, 'The form could not be read.')
  const decision = parsed.params.get('decision')
  if (decision !== 'allow' && decision !== 'deny') return refuse(400, 'The form carries neither Allow nor Deny.')
  return { consentId: parsed.params.get('consent_id') ?? '', decision }
}

/**
 * Allow sends a code back, Deny sends `access_denied`; both with 303, so the
 * browser follows with a GET and never re-posts the form to the client.
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.12
 */
export const handleAuthorizeDecision: Handler = async (req, res, ctx) => {
  const answer = await readDecision(req, res)
  if (!answer) return
  const consent = ctx.state.takeConsent(answer.consentId)
  if (consent?.kind !== 'authorize') {
    sendHtml(res, 400, renderNoticePage('This page has expired', 'This consent page was already answered or is too old.', 'bad',
      'Start the sign-in again from the application.'))
    return
  }
  const { request } = consent
  if (answer.decision === 'allow') return redirectWithCode(res, 303, request, ctx)
  const params = { error: 'access_denied', error_description: 'the user denied the request', state: request.state }
  sendRedirect(res, 303, buildRedirect(request.redirectUri, params, ctx.url))
}
