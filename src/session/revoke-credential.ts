/**
 * Revoking a stored credential at its provider (RFC 7009, or a declared style
 * such as LiveChat's DELETE), for `logout` and for a `login` that replaces a
 * credential at a provider with `revoke_replaced_on_login`.
 */
import type { SessionDeps } from './deps'
import { OAuthError } from '../oauth/errors'
import { revokeToken, type RevokeContext } from '../oauth/revoke'
import type { ResolvedProvider } from '../providers/types'
import type { StoredCredential } from '../store/credential-store'
import { resolveMetadata, toOAuthClient } from './provider-context'
import { providerHttp } from './provider-http'

export type RevokeOutcome = { revoked: true } | { revoked: false; reason: string }

/**
 * Revokes the refresh token (which ends the grant, RFC 7009 §2.1), then the
 * access token. Resolves `revoked: false` with the reason where nothing can be
 * revoked from here; rejects (OAuthError, TransportError) when the provider
 * refused or could not be reached.
 */
export async function revokeCredential(
  provider: ResolvedProvider,
  credential: StoredCredential,
  deps: SessionDeps,
): Promise<RevokeOutcome> {
  if (credential.kind === 'static') {
    const where = provider.config.static_credential?.docs_url
    return { revoked: false, reason: `a static credential cannot be revoked from here; revoke it where it was created${where ? ` (${where})` : ''}` }
  }
  const metadata = await resolveMetadata(provider, deps, ['revocation_endpoint'])
  if (!metadata.revocation_endpoint) {
    return { revoked: false, reason: `${provider.name} has no known revocation endpoint` }
  }
  const context = {
    endpoint: metadata.revocation_endpoint,
    style: provider.config.revocation_style ?? 'rfc7009',
    client: toOAuthClient(provider, credential),
    encoding: provider.config.token_request_encoding ?? 'form',
    http: await providerHttp(provider, deps),
    issuer: metadata.issuer,
  } as const
  if (credential.refresh_token) await revokeUnlessInvalid(context, credential.refresh_token, 'refresh_token')
  // None to revoke: a login whose answer's access token was unusable kept only its refresh token (session/login-flows.ts).
  if (credential.access_token !== '') await revokeUnlessInvalid(context, credential.access_token, 'access_token')
  return { revoked: true }
}

/**
 * RFC 7009 §2.2: an invalid token is no error for revocation ("the client
 * cannot handle such an error in a reasonable way"). A server that answers
 * `invalid_token` all the same (Google's does, for a token already revoked or
 * expired; so do some for the access token once revoking the refresh token
 * ended the grant) says there is nothing left to revoke: the token is dead,
 * which is what the revocation was for. Every other refusal still fails.
 */
async function revokeUnlessInvalid(context: RevokeContext, token: string, hint: 'access_token' | 'refresh_token'): Promise<void> {
  try {
    await revokeToken(context, token, hint)
  } catch (err) {
    if (err instanceof OAuthError && err.error === 'invalid_token') return
    throw err
  }
}
