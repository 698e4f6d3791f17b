/**
 * Token revocation: RFC 7009, or a provider's own `DELETE` with the token as a
 * Bearer credential (LiveChat's `DELETE /v2/token`).
 */
import * as oauth from 'oauth4webapi'
import type { HttpClient } from '../http/types'
import { OAuthError, ProtocolError } from './errors'
import { failureFromRaw, readResponse } from './answers'
import { mapRequestError, processWith, requestOptions, toClient, toClientAuth } from './oauth4'
import type { OAuthClient, TokenRequestEncoding } from './types'

export interface RevokeContext {
  endpoint: string
  style: 'rfc7009' | 'delete_bearer'
  client: OAuthClient
  encoding: TokenRequestEncoding
  http: HttpClient
  issuer: string
}

/**
 * Revokes one token at the provider. Resolves when the provider no longer holds
 * it (including "already gone"); rejects with OAuthError when it refused, or with
 * the HttpClient's TransportError when it could not be reached.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 */
export async function revokeToken(ctx: RevokeContext, token: string, hint: 'access_token' | 'refresh_token'): Promise<void> {
  switch (ctx.style) {
    case 'rfc7009':
      return revokeRfc7009(ctx, token, hint)
    case 'delete_bearer':
      return revokeDeleteBearer(ctx, token)
    default: {
      const unknown: never = ctx.style
      throw new TypeError(`unknown revocation style ${String(unknown)}`)
    }
  }
}

/**
 * RFC 7009 §2.1 request: `token` and `token_type_hint`, authenticated like the
 * token endpoint. §2.2 says 200; another 2xx (a 204 from a server with nothing
 * to say) means the same.
 */
async function revokeRfc7009(ctx: RevokeContext, token: string, hint: 'access_token' | 'refresh_token'): Promise<void> {
  const as = { issuer: ctx.issuer, revocation_endpoint: ctx.endpoint }
  let response: Response
  try {
    response = await oauth.revocationRequest(as, toClient(ctx.client), toClientAuth(ctx.client), token, {
      ...requestOptions(ctx.http, ctx.encoding),
      additionalParameters: { token_type_hint: hint },
    })
  } catch (err) {
    throw mapRequestError(err, 'revocation_endpoint')
  }
  if (response.ok && response.status !== 200) {
    await response.body?.cancel()
    return
  }
  await processWith('revoke', response, oauth.processRevocationResponse).catch((err: unknown) => {
    throw asRevokeError(err, response.status)
  })
}

/** The pure half of the `delete_bearer` style: the request to send. */
export function buildDeleteRevocation(
  endpoint: string,
  token: string,
): { url: string; init: { method: 'DELETE'; headers: Record<string, string> } } {
  return { url: endpoint, init: { method: 'DELETE', headers: { authorization: `Bearer ${token}`, accept: 'application/json' } } }
}

/** LiveChat answers 200 `{}`, and 404 for a token it does not know: already revoked. */
async function revokeDeleteBearer(ctx: RevokeContext, token: string): Promise<void> {
  const { url, init } = buildDeleteRevocation(ctx.endpoint, token)
  const response = await ctx.http(url, { ...init, redirect: 'manual' })
  if ((response.status >= 200 && response.status < 300) || response.status === 404) {
    // Read (small, bounded by the client) rather than dropped, so the connection can be reused.
    await response.text().catch(() => undefined)
    return
  }
  throw asRevokeError(failureFromRaw('revoke', await readResponse(response)), response.status)
}

/** Revocation failures are always OAuthErrors: from the body when it says why, else from the status. */
function asRevokeError(err: unknown, status: number): unknown {
  if (!(err instanceof ProtocolError)) return err
  return new OAuthError('revoke', 'unexpected_status', `HTTP ${status}`, status)
}
