/**
 * The request half of getFreshCredential, loaded only when a refresh (or a
 * client-credentials re-fetch) is really due, so a `token` call with a fresh
 * token never loads the protocol code. Runs under the caller's lock.
 */
import type { Deps } from '../cli/deps'
import { REFRESH_RETRY, withRetry } from '../http/retry'
import { OAuthError } from '../oauth/errors'
import { requestToken } from '../oauth/token-endpoint'
import type { RefreshToken } from '../oauth/types'
import type { ResolvedProvider } from '../providers/types'
import type { CredentialKey, CredentialStore, StoredCredential } from '../store/credential-store'
import { fetchClientCredentials } from './client-credentials'
import { mergeRefreshed } from './credentials'
import { RefreshRejectedError } from './errors'
import { resolveMetadata, toOAuthClient } from './provider-context'

/** RFC 6749 §5.2 errors that mean the refresh token itself is dead. */
const DEAD_REFRESH_ERRORS = new Set(['invalid_grant', 'unauthorized_client', 'invalid_client'])

/** Client credentials have no refresh token: the grant itself is run again (RFC 6749 §4.4). */
export async function refetchLocked(
  provider: ResolvedProvider,
  key: CredentialKey,
  store: CredentialStore,
  credential: StoredCredential,
  deps: Deps,
): Promise<StoredCredential> {
  const next = await fetchClientCredentials(provider, key, deps, { previous: credential })
  await store.set(next)
  return next
}

export async function refreshLocked(
  provider: ResolvedProvider,
  key: CredentialKey,
  store: CredentialStore,
  credential: StoredCredential,
  deps: Deps,
): Promise<StoredCredential> {
  const metadata = await resolveMetadata(
    credential.token_endpoint && !provider.config.token_endpoint
      ? { ...provider, config: { ...provider.config, token_endpoint: credential.token_endpoint } }
      : provider,
    deps,
    ['token_endpoint'],
  )
  const context = {
    metadata,
    client: toOAuthClient(provider, credential),
    encoding: provider.config.token_request_encoding ?? 'form',
    // Only "never processed" failures are retried: a lost answer may mean the old refresh token is already spent.
    http: withRetry(await deps.http(), REFRESH_RETRY, { clock: deps.clock, onRetry: deps.onRetry }),
    now: () => deps.clock.now(),
  }
  try {
    const tokens = await requestToken(context, {
      grant_type: 'refresh_token',
      refresh_token: credential.refresh_token as RefreshToken,
    })
    const next = mergeRefreshed(credential, tokens, deps.clock.now())
    await store.set(next)
    return next
  } catch (err) {
    if (err instanceof OAuthError && DEAD_REFRESH_ERRORS.has(err.error)) {
      return adoptNewerOrFail(store, key, credential, err)
    }
    throw err
  }
}

/**
 * On invalid_grant, look once more: a process that did not honour our lock
 * (or an older tool version) may have stored a newer refresh token.
 */
async function adoptNewerOrFail(
  store: CredentialStore,
  key: CredentialKey,
  used: StoredCredential,
  err: OAuthError,
): Promise<StoredCredential> {
  const again = await store.get(key)
  if (again.status === 'found' && again.credential.refresh_token !== used.refresh_token) {
    return again.credential
  }
  throw new RefreshRejectedError(key, err.error, err.error_description, { cause: err })
}
