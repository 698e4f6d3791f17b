/**
 * The token endpoint (authorization code, refresh token, device code, client
 * credentials) and the
 * revocation endpoint.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { authenticateClient, type SandboxClient } from './clients'
import { clientChallenge } from './device-routes'
import { findRepeated, readParams, sendJson, sendOAuthError, type Handler, type SandboxContext } from './http'
import { SANDBOX_CLIENT_CREDENTIALS_SCOPE } from './provider'
import { parseScope } from './rules'
import type { AccessTokenResponse, TokenOutcome } from './state'

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/** Reads the parameters and authenticates the client, or answers the error itself. */
async function readClientRequest(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: SandboxContext,
): Promise<{ params: URLSearchParams; client: SandboxClient } | undefined> {
  const parsed = await readParams(req)
  if (!parsed.ok) return void sendOAuthError(res, 400, 'invalid_request', parsed.description)
  const repeated = findRepeated(parsed.params)
  if (repeated) return void sendOAuthError(res, 400, 'invalid_request', `${repeated} is repeated`)
  const auth = authenticateClient(req.headers.authorization, parsed.params, ctx.clients)
  if (!auth.ok) return void sendOAuthError(res, auth.status, auth.error, auth.description, clientChallenge(auth.status))
  return { params: parsed.params, client: auth.client }
}

/** The names among `required` that are absent or empty. */
function missing(params: URLSearchParams, required: readonly string[]): string | undefined {
  const absent = required.filter((name) => !params.get(name))
  return absent.length === 0 ? undefined : `missing ${absent.join(', ')}`
}

function requestError(description: string): TokenOutcome<AccessTokenResponse> {
  return { ok: false, error: 'invalid_request', description }
}

function runGrant(params: URLSearchParams, client: SandboxClient, ctx: SandboxContext): TokenOutcome<AccessTokenResponse> {
  const clientId = client.client_id
  const grantType = params.get('grant_type')
  switch (grantType) {
    case 'authorization_code': {
      const absent = missing(params, ['code', 'redirect_uri', 'code_verifier'])
      if (absent) return requestError(absent)
      const get = (name: string): string => params.get(name) ?? ''
      return ctx.state.exchangeCode({ code: get('code'), clientId, redirectUri: get('redirect_uri'), codeVerifier: get('code_verifier') })
    }
    case 'refresh_token': {
      const refreshToken = params.get('refresh_token')
      if (!refreshToken) return requestError('missing refresh_token')
      const rawScope = params.get('scope')
      const scope = rawScope ? parseScope(rawScope) : undefined
      if (rawScope && !scope) return { ok: false, error: 'invalid_scope', description: 'the requested scope is unknown' }
      return ctx.state.refresh({ refreshToken, clientId, scope })
    }
    case 'client_credentials': {
      // §4.4: only a client that authenticated with its secret may act on its own behalf.
      if (client.client_secret === undefined) {
        return { ok: false, error: 'unauthorized_client', description: 'the client credentials grant needs a confidential client' }
      }
      const scope = parseScope(params.get('scope') || SANDBOX_CLIENT_CREDENTIALS_SCOPE)
      if (!scope) return { ok: false, error: 'invalid_scope', description: 'the requested scope is unknown' }
      return ctx.state.clientCredentials({ clientId, scope })
    }
    case DEVICE_CODE_GRANT: {
      const deviceCode = params.get('device_code')
      if (!deviceCode) return requestError('missing device_code')
      return ctx.state.pollDevice(deviceCode, clientId)
    }
    case null:
      return requestError('missing grant_type')
    default:
      return { ok: false, error: 'unsupported_grant_type', description: 'this grant type is not supported here' }
  }
}

/** @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1 @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 */
export const handleToken: Handler = async (req, res, ctx) => {
  const request = await readClientRequest(req, res, ctx)
  if (!request) return
  const outcome = runGrant(request.params, request.client, ctx)
  if (outcome.ok) return sendJson(res, 200, outcome.tokens)
  sendOAuthError(res, 400, outcome.error, outcome.description)
}

/**
 * Answers 200 whether or not the token was known, so the answer tells a caller
 * nothing about other tokens.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2
 */
export const handleRevoke: Handler = async (req, res, ctx) => {
  const request = await readClientRequest(req, res, ctx)
  if (!request) return
  const token = request.params.get('token')
  if (!token) return sendOAuthError(res, 400, 'invalid_request', 'missing token')
  ctx.state.revoke(token, request.client.client_id)
  res.writeHead(200, { 'Cache-Control': 'no-store', 'Content-Length': '0' })
  res.end()
}
