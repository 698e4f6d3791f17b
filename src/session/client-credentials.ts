/**
 * The client credentials grant (RFC 6749 §4.4): tokens for the client itself,
 * with no user and no refresh token. `login --client-credentials` fetches the
 * first; getFreshCredential fetches the next when it expires.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
import type { SessionDeps } from './deps'
import { requestToken } from '../oauth/token-endpoint'
import { requestScope } from '../providers/scope'
import type { ResolvedProvider } from '../providers/types'
import type { CredentialKey, StoredCredential } from '../store/credential-store'
import { toStoredCredential, withRequestedScope } from './credentials'
import { sayTokenNotes } from './token-notes'
import { InputError } from './errors'
import { resolveTokenEndpoint, tokenContext, toOAuthClient } from './provider-context'

/**
 * Requests tokens with the client credentials grant. With `previous` (a stored
 * client-credentials credential) it uses the same client and scope again; else
 * the provider's client and `scope`. The token endpoint is always the provider's
 * own (resolveTokenEndpoint), whatever the stored credential names.
 */
export async function fetchClientCredentials(
  provider: ResolvedProvider,
  key: CredentialKey,
  deps: SessionDeps,
  options: { scope?: string; previous?: StoredCredential; signal?: AbortSignal } = {},
): Promise<StoredCredential> {
  const { previous } = options
  const metadata = await resolveTokenEndpoint(provider, deps, previous)
  const client = toOAuthClient(provider, previous)
  if (provider.config.token_endpoint_auth_method === 'none') {
    // A secret given anyway is not the problem: the client is registered as public, and §4.4 needs a confidential one.
    throw new InputError(
      `the client credentials grant needs a confidential client, and ${provider.name}'s client ${client.client_id} is public (token_endpoint_auth_method "none")`,
      `use a confidential client: set its client_id and token_endpoint_auth_method (client_secret_basic or client_secret_post) for ${provider.name} in the config file, and ${provider.env_prefix}_CLIENT_SECRET`,
    )
  }
  if (client.token_endpoint_auth_method === 'none' || !client.client_secret) {
    throw new InputError(
      `the client credentials grant needs a client secret for ${provider.name}, and none is set`,
      `set ${provider.env_prefix}_CLIENT_SECRET, or pipe it to: oauth-cli login ${provider.name} --client-credentials --client-secret-stdin`,
    )
  }
  const scope = options.scope ?? (previous && previous.scope.length > 0 ? previous.scope.join(' ') : provider.config.scope)
  const requested = requestScope(provider.config, scope)
  const answer = await requestToken(
    await tokenContext(provider, metadata, client, deps),
    { grant_type: 'client_credentials', scope: requested },
    options.signal,
  )
  sayTokenNotes(answer, deps)
  // §5.1: an answer without `scope` granted the scope requested; stored as such, the next fetch asks for it again
  // (else it would get the server's default scope).
  const tokens = withRequestedScope(answer, requested, provider.config)
  // §4.4.3: no refresh token is expected; one sent anyway is dropped, since the grant itself renews.
  const { refresh_token: _ignored, ...withoutRefresh } = tokens
  const stored = toStoredCredential(key, withoutRefresh, {
    client_id: client.client_id,
    client_secret: client.client_secret,
    token_endpoint: metadata.token_endpoint,
    now: deps.clock.now(),
  })
  return { ...stored, grant: 'client_credentials' }
}
