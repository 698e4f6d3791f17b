/**
 * getFreshCredential: load, refresh if within the skew (single-flight across
 * processes), save. A failed refresh never deletes what is stored.
 */
import type { SessionDeps } from './deps'
import type { ResolvedProvider } from '../providers/types'
import type { CredentialKey, CredentialMark, CredentialStore, StoredCredential } from '../store/credential-store'
import { expiresWithin, isRenewable, minimumLifeMs, refreshSkewMs } from './credentials'
import { INTERRUPTED_REFRESH, InterruptedRefreshError, NotLoggedInError, RefreshRejectedError } from './errors'
import { refuseIfInterrupted } from './interrupt'
import { withRefreshLock } from './save-issued'
import { warnIfUnverified } from './unverified'

export interface FreshOptions {
  /** Refresh even when the token is still fresh (`oauth-cli refresh`, or after a 401). */
  force?: boolean
  /** With force: the access token the caller saw rejected; if the store already has another, use it. */
  rejectedAccessToken?: string
  /** Guarantee at least this much remaining life (`--min-ttl`); never less than the refresh skew. */
  minTtlMs?: number
}

export async function loadCredential(store: CredentialStore, key: CredentialKey): Promise<StoredCredential> {
  return found(await store.get(key), key).credential
}

/** A lookup that found the credential; nothing stored is NotLoggedInError (exit 3, the login to run), said this one way. */
function found<L extends { status: 'found' } | { status: 'missing' }>(lookup: L, key: CredentialKey): Extract<L, { status: 'found' }> {
  if (lookup.status === 'missing') throw new NotLoggedInError(key, 'missing')
  return lookup as Extract<L, { status: 'found' }>
}

export async function getFreshCredential(
  provider: ResolvedProvider,
  key: CredentialKey,
  store: CredentialStore,
  deps: SessionDeps,
  options: FreshOptions = {},
): Promise<StoredCredential> {
  // A shared store's first read also tells whether the credential is marked dead.
  const first = found(store.versioned ? await store.versioned.getVersioned(key) : await store.get(key), key)
  const current = first.credential
  warnIfUnverified(provider, current, deps)
  if (!needsRefresh(current, deps.clock.now(), options)) return current
  if (!isRenewable(current)) {
    if (options.force && current.kind === 'static') return current
    // Still alive, only shorter-lived than --min-ttl asks: the caller says so (exit 1), not "log in".
    if (!options.force && !expiresWithin(current, deps.clock.now(), refreshSkewMs(current))) return current
    throw new NotLoggedInError(key, 'expired_no_refresh')
  }
  // Another runner learnt that the refresh token is dead: fail at once, sending nothing.
  if ('mark' in first) failIfDead(key, first.mark as CredentialMark | undefined)
  const { versionedView } = await import('../store/versioned')
  const view = versionedView(store)
  // While waiting, a refresh that landed meanwhile is taken as it is, without queueing for the lock; a Ctrl-C ends the wait.
  const beforeWait = (): void => refuseIfInterrupted(deps.interrupt)
  // Both lockers call beforeWait before each look (the shared store's lease before its recheck).
  const recheck = async (): Promise<StoredCredential | undefined> => {
    const now = await view.getVersioned(key)
    if (now.status !== 'found') return undefined
    if (refreshedElsewhere(current, now.credential, deps.clock.now(), options)) return now.credential
    failIfDead(key, now.mark)
    return undefined
  }
  // From here the process ends only once this has settled (a write check's temp file removed, a save done, the
  // lock released), even after a Ctrl-C: that ends a wait for the lock, and the refresh sends nothing more and
  // aborts a request in flight (session/refresh.ts).
  refuseIfInterrupted(deps.interrupt)
  // The client is built (a proxy variable and --cacert checked) before the wait for the lock: a bad one is exit 2 now.
  await deps.http()
  const section = withRefreshLock(store, key, deps, async (hold) => {
    // Another process may have refreshed while we waited for the lock.
    const latest = found(await view.getVersioned(key), key)
    if (refreshedElsewhere(current, latest.credential, deps.clock.now(), options)) return latest.credential
    failIfDead(key, latest.mark)
    // The protocol code (and oauth4webapi) loads only when a request is really due.
    const { refetchLocked, refreshLocked } = await import('./refresh')
    if (latest.credential.grant === 'client_credentials') return refetchLocked(provider, key, store, latest.credential, deps)
    return refreshLocked(provider, key, { store, view, read: latest, hold }, deps)
  }, { recheck, beforeWait })
  deps.interrupt?.finish(section)
  const renewed = await section
  // A Ctrl-C while a refresh already sent was finishing: its answer is stored, and nothing more begins.
  refuseIfInterrupted(deps.interrupt)
  return renewed
}

function failIfDead(key: CredentialKey, mark: CredentialMark | undefined): void {
  if (mark?.kind !== 'dead') return
  // Marked by the runner that found another's refresh interrupted (session/refresh.ts).
  if (mark.error === INTERRUPTED_REFRESH) throw new InterruptedRefreshError(key, 'another runner', '')
  throw new RefreshRejectedError(key, mark.error, `found marked dead in the shared store${mark.at ? ` since ${mark.at}` : ''}; nothing was sent`)
}

function needsRefresh(credential: StoredCredential, now: number, options: FreshOptions): boolean {
  if (credential.kind === 'static') return false
  if (options.force) return true
  return expiresWithin(credential, now, lifeNeededMs(credential, options))
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
  return !expiresWithin(latest, now, lifeNeededMs(latest, options))
}

function lifeNeededMs(credential: StoredCredential, options: FreshOptions): number {
  return minimumLifeMs(credential, options.minTtlMs === undefined ? undefined : options.minTtlMs / 1000)
}

