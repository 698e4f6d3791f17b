/**
 * The request half of getFreshCredential, loaded only when a refresh (or a
 * client-credentials re-fetch) is really due, so a `token` call with a fresh
 * token never loads the protocol code. Runs under the caller's lock.
 */
import type { SessionDeps } from './deps'
import { REFRESH_RETRY, withRetry } from '../http/retry'
import { TransportError } from '../http/types'
import { OAuthError } from '../oauth/errors'
import { requestToken } from '../oauth/token-endpoint'
import type { RefreshToken } from '../oauth/types'
import type { ResolvedProvider } from '../providers/types'
import { ConfigError } from '../providers/errors'
import { isDeadGrantError } from '../providers/quirks'
import { validateEndpointUrl } from '../providers/schema'
import { StoreError, type CredentialKey, type CredentialStore, type StoredCredential } from '../store/credential-store'
import { fetchClientCredentials } from './client-credentials'
import { mergeRefreshed } from './credentials'
import { RefreshRejectedError } from './errors'
import { sayTokenNotes } from './token-notes'
import { unsavedError } from './save-issued'
import { resolveMetadata, tokenContext, toOAuthClient } from './provider-context'

/** Renews a credential while holding its refresh lock, stores and returns the new one. */
export type LockedRenewal = (
  provider: ResolvedProvider,
  key: CredentialKey,
  store: CredentialStore,
  credential: StoredCredential,
  deps: SessionDeps,
) => Promise<StoredCredential>

/** Client credentials have no refresh token: the grant itself is run again (RFC 6749 §4.4). */
export const refetchLocked: LockedRenewal = async (provider, key, store, credential, deps) => {
  const next = await withDeadline(refreshDeadlineMs(deps.env), credential.token_endpoint, (signal) =>
    fetchClientCredentials(provider, key, deps, { previous: credential, signal }),
  )
  await store.set(next)
  return next
}

export const refreshLocked: LockedRenewal = async (provider, key, store, credential, deps) => {
  const metadata = await resolveMetadata(
    credential.token_endpoint && !provider.config.token_endpoint
      ? { ...provider, config: { ...provider.config, token_endpoint: checkedStoredEndpoint(credential.token_endpoint, key) } }
      : provider,
    deps,
    ['token_endpoint'],
  )
  // Only "never processed" failures are retried: a lost answer may mean the old refresh token is already spent.
  const context = await tokenContext(provider, metadata, toOAuthClient(provider, credential), deps, (http) =>
    withRetry(http, REFRESH_RETRY, { clock: deps.clock, onRetry: deps.onRetry }),
  )
  await checkWritableBeforeSpending(store, credential)
  try {
    const tokens = await withDeadline(refreshDeadlineMs(deps.env), metadata.token_endpoint, (signal) =>
      requestToken(context, { grant_type: 'refresh_token', refresh_token: credential.refresh_token as RefreshToken }, signal),
    )
    sayTokenNotes(tokens, deps)
    const next = mergeRefreshed(credential, tokens, deps.clock.now())
    await saveRefreshed(store, next, deps)
    return next
  } catch (err) {
    // invalid_grant, or what the provider declares as "grant dead" (LiveChat's unauthorized_client,
    // "refresh_token not found"); other client errors (a rotated secret) are reported as such.
    if (err instanceof OAuthError && isDeadGrantError(provider.config, err)) {
      return adoptNewerOrFail(store, key, credential, err, deps.clock.now())
    }
    throw err
  }
}

/**
 * A refresh runs under the lock, and others wait for it: so it has an overall
 * deadline, headers and body and retries included (the per-request timeout is
 * an idle timeout, which a dripping answer never trips).
 * `OAUTH_CLI_REFRESH_DEADLINE_MS` (undocumented) shortens it for tests.
 */
export const REFRESH_DEADLINE_MS = 30_000

function refreshDeadlineMs(env: SessionDeps['env']): number {
  const raw = env.OAUTH_CLI_REFRESH_DEADLINE_MS
  return raw !== undefined && /^\d+$/.test(raw) && Number(raw) > 0 ? Number(raw) : REFRESH_DEADLINE_MS
}

async function withDeadline<T>(ms: number, endpoint: string | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new DOMException('the refresh deadline passed', 'TimeoutError')), ms)
  try {
    return await run(controller.signal)
  } catch (err) {
    if (!controller.signal.aborted) throw err
    let where = 'the token endpoint'
    try {
      where = endpoint ? new URL(endpoint).host : where
    } catch {
      // keep the generic name
    }
    const seconds = ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`
    throw new TransportError('timeout', endpoint ? safeOrigin(endpoint) : '', `the refresh did not finish within ${seconds}: ${where} answered too slowly; nothing was stored, try again`, { cause: err })
  } finally {
    clearTimeout(timer)
  }
}

function safeOrigin(url: string): string {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname}`
  } catch {
    return ''
  }
}

/**
 * A refresh may rotate the refresh token: once sent, the stored one may be
 * spent. So the store must be able to take the answer before anything is sent
 * (room for twice the credential as it is now, for a larger answer).
 */
async function checkWritableBeforeSpending(store: CredentialStore, credential: StoredCredential): Promise<void> {
  if (!store.checkWritable) return
  try {
    await store.checkWritable(credential, 2 * JSON.stringify(credential).length + 4096)
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new StoreError(
      err instanceof StoreError ? err.kind : 'io',
      err instanceof StoreError ? err.location : store.location,
      `not refreshing ${credential.provider} (profile ${credential.profile}): the store could not take the new tokens (${reason}); the refresh token was not spent: fix that, then try again`,
      { cause: err },
    )
  }
}

/**
 * The provider may already have spent the old refresh token, so new tokens are
 * worth a few tries to keep (a keychain that hiccups, a file briefly locked by
 * a reader on Windows). If they still cannot be saved they go to an emergency
 * file (session/rescue.ts), and the error names it and the way back.
 */
async function saveRefreshed(store: CredentialStore, next: StoredCredential, deps: SessionDeps): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await store.set(next)
      return
    } catch (err) {
      if (attempt >= 3 || !(err instanceof StoreError)) throw await unsavedError(store, next, err, deps)
      await deps.clock.sleep(100 * attempt)
    }
  }
}

/** A token endpoint kept with a credential (e.g. from an imported bundle) gets the config file's https rule. */
function checkedStoredEndpoint(endpoint: string, key: CredentialKey): string {
  try {
    return validateEndpointUrl(endpoint, 'the stored token endpoint')
  } catch (err) {
    let origin = 'not a URL'
    try {
      origin = new URL(endpoint).origin
    } catch {
      // keep 'not a URL'
    }
    throw new ConfigError(
      'insecure_endpoint',
      `the stored credential for ${key.provider} (profile ${key.profile}) names a token endpoint that is not https: ${origin}`,
      { hint: `set token_endpoint for ${key.provider} in the config file, or run: oauth-cli login ${key.provider}`, cause: err },
    )
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
  now: number,
): Promise<StoredCredential> {
  const again = await store.get(key)
  if (again.status === 'found' && again.credential.refresh_token !== used.refresh_token) {
    return again.credential
  }
  // Remembered, so `status` stops calling it refreshable; the token itself stays (a new login replaces it).
  if (again.status === 'found' && again.credential.refresh_rejected_at === undefined) {
    await store.set({ ...again.credential, refresh_rejected_at: new Date(now).toISOString() }).catch(() => undefined)
  }
  throw new RefreshRejectedError(key, err.error, err.error_description, { cause: err })
}
