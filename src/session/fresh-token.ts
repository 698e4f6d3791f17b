/**
 * getFreshCredential: load, refresh if within the skew (single-flight across
 * processes), save. A failed refresh never deletes what is stored.
 */
import type { Deps } from '../cli/deps'
import { REFRESH_RETRY, withRetry } from '../http/retry'
import { OAuthError } from '../oauth/errors'
import { requestToken } from '../oauth/token-endpoint'
import type { RefreshToken } from '../oauth/types'
import type { ResolvedProvider } from '../providers/types'
import type { CredentialKey, CredentialStore, StoredCredential } from '../store/credential-store'
import { fetchClientCredentials } from './client-credentials'
import { expiresWithin, isRenewable, mergeRefreshed, REFRESH_SKEW_MS } from './credentials'
import { NotLoggedInError, RefreshRejectedError } from './errors'
import { resolveMetadata, toOAuthClient } from './provider-context'

export interface FreshOptions {
  /** Refresh even when the token is still fresh (`oauth-cli refresh`, or after a 401). */
  force?: boolean
  /** With force: the access token the caller saw rejected; if the store already has another, use it. */
  rejectedAccessToken?: string
  /** Guarantee at least this much remaining life (default REFRESH_SKEW_MS). */
  minTtlMs?: number
}

/** RFC 6749 §5.2 errors that mean the refresh token itself is dead. */
const DEAD_REFRESH_ERRORS = new Set(['invalid_grant', 'unauthorized_client', 'invalid_client'])

export async function loadCredential(store: CredentialStore, key: CredentialKey): Promise<StoredCredential> {
  const lookup = await store.get(key)
  if (lookup.status === 'missing') throw new NotLoggedInError(key, 'missing')
  return lookup.credential
}

export async function getFreshCredential(
  provider: ResolvedProvider,
  key: CredentialKey,
  store: CredentialStore,
  deps: Deps,
  options: FreshOptions = {},
): Promise<StoredCredential> {
  const current = await loadCredential(store, key)
  if (!needsRefresh(current, deps.clock.now(), options)) return current
  if (!isRenewable(current)) {
    if (options.force && current.kind === 'static') return current
    // Still alive, only shorter-lived than --min-ttl asks: the caller says so (exit 1), not "log in".
    if (!options.force && !expiresWithin(current, deps.clock.now(), REFRESH_SKEW_MS)) return current
    throw new NotLoggedInError(key, 'expired_no_refresh')
  }
  const locker = await deps.locker()
  return locker.withLock(`refresh-${key.provider}-${key.profile}`, async () => {
    // Another process may have refreshed while we waited for the lock.
    const latest = await loadCredential(store, key)
    if (refreshedElsewhere(current, latest, deps.clock.now(), options)) return latest
    if (latest.grant === 'client_credentials') return refetchLocked(provider, key, store, latest, deps)
    return refreshLocked(provider, key, store, latest, deps)
  })
}

/** Client credentials have no refresh token: the grant itself is run again (RFC 6749 §4.4). */
async function refetchLocked(
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

function needsRefresh(credential: StoredCredential, now: number, options: FreshOptions): boolean {
  if (credential.kind === 'static') return false
  if (options.force) return true
  return expiresWithin(credential, now, options.minTtlMs ?? REFRESH_SKEW_MS)
}

function refreshedElsewhere(
  seen: StoredCredential,
  latest: StoredCredential,
  now: number,
  options: FreshOptions,
): boolean {
  if (latest.access_token === seen.access_token && latest.refresh_token === seen.refresh_token) return false
  if (options.force && options.rejectedAccessToken === latest.access_token) return false
  if (options.force && options.rejectedAccessToken === undefined) return false
  return !expiresWithin(latest, now, options.minTtlMs ?? REFRESH_SKEW_MS)
}

async function refreshLocked(
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
