/**
 * The request half of getFreshCredential, loaded only when a refresh (or a
 * client-credentials re-fetch) is really due, so a `token` call with a fresh
 * token never loads the protocol code. Runs under the caller's lock.
 */
import type { SessionDeps } from './deps'
import { REFRESH_RETRY, withRetry } from '../http/retry'
import { TransportError, type HttpClient } from '../http/types'
import { OAuthError, ProtocolError } from '../oauth/errors'
import { requestToken } from '../oauth/token-endpoint'
import type { AccessToken, RefreshToken, ServerMetadata } from '../oauth/types'
import type { ResolvedProvider } from '../providers/types'
import { isDeadGrantError } from '../providers/quirks'
import {
  StoreError,
  type CredentialKey,
  type CredentialMark,
  type CredentialStore,
  type Hold,
  type Revision,
  type StoredCredential,
  type VersionedStore,
} from '../store/credential-store'
import type { TokenSet } from '../oauth/types'
import { fetchClientCredentials } from './client-credentials'
import { mergeRefreshed, refreshOnlyTokens } from './credentials'
import { CancelledError, INTERRUPTED_REFRESH, InterruptedRefreshError, RefreshRejectedError, UnsettledRefreshError } from './errors'
import { sayTokenNotes } from './token-notes'
import { rescueSuperseded, retryWrite, saveIssued, unsavedError } from './save-issued'
import { resolveTokenEndpoint, tokenContext, toOAuthClient } from './provider-context'
import { isoTime } from '../platform/iso-time'
import { refuseIfInterrupted } from './interrupt'
import { refreshDeadlineMs, withDeadline } from './deadline'

/**
 * Renews a credential while holding its refresh lock, stores and returns the
 * new one. After a Ctrl-C (`deps.interrupt`) nothing is sent; a refresh request
 * already out is let finish (its answer may be the only copy of a rotated
 * refresh token), within the refresh deadline, and its answer stored.
 */
export type LockedRenewal = (
  provider: ResolvedProvider,
  key: CredentialKey,
  store: CredentialStore,
  credential: StoredCredential,
  deps: SessionDeps,
) => Promise<StoredCredential>

/** Client credentials have no refresh token: the grant itself is run again (RFC 6749 §4.4). */
export const refetchLocked: LockedRenewal = async (provider, key, store, credential, deps) => {
  refuseIfInterrupted(deps.interrupt)
  const next = await withDeadline(
    refreshDeadlineMs(deps.env),
    credential.token_endpoint,
    'nothing was stored: try again',
    (signal) => fetchClientCredentials(provider, key, deps, { previous: credential, signal }),
    deps.interrupt?.signal,
  )
  // Tokens the provider issued are never dropped: the same save path as a login's, emergency file included.
  await saveIssued(store, next, deps)
  return next
}

/**
 * What a refresh works on, under the lock or lease: the store (for messages
 * and the writability check), its versioned view, the credential as read
 * under the hold, and the hold itself.
 */
export interface RefreshSlot {
  store: CredentialStore
  view: VersionedStore
  read: { credential: StoredCredential; revision: Revision; mark?: CredentialMark }
  hold: Hold
}

export async function refreshLocked(
  provider: ResolvedProvider,
  key: CredentialKey,
  slot: RefreshSlot,
  deps: SessionDeps,
): Promise<StoredCredential> {
  const { store, view, hold } = slot
  const credential = slot.read.credential
  // Read first: a bad value is refused before anything is marked or sent.
  const deadlineMs = refreshDeadlineMs(deps.env)
  // The store's check runs while the endpoint and the HTTP client are made ready (a file store's sync waits
  // in the thread pool; a discovery GET may go out meanwhile); it is settled before the token request, or
  // anything else, happens, their failures first, as in sequence.
  const writable = checkWritableBeforeSpending(store, credential)
  writable.catch(() => undefined)
  const { metadata, context } = await prepareRequest(provider, credential, hold, deps).catch(async (err: unknown) => {
    await writable.catch(() => undefined)
    throw err
  })
  await writable
  await refuseInterruptedRotation(key, slot, deps)
  // Nothing goes out after a Ctrl-C, not even the mark.
  refuseIfInterrupted(deps.interrupt)
  // A full lease term ahead of the request, however long the work before it took.
  await hold.extend?.()
  const inFlight: CredentialMark = { kind: 'refresh_in_flight', holder: hold.holder, fence: hold.fence, at: isoTime(deps.clock.now()) }
  // Marked before sending in a shared store: should this process die with the answer (or lose its lease), the next
  // holder knows a refresh was in flight. A local store's lock is never taken from a live holder: it is marked only
  // once a refresh is left unsettled (below), sparing every refresh a write.
  const markedFirst = slot.store.versioned !== undefined
  const revision = markedFirst ? await view.mark(key, slot.read.revision, inFlight) : slot.read.revision
  if (revision === undefined) return adoptWrittenMeanwhile(view, key, credential)
  // The mark of a refresh whose outcome is unknown stays, and at a rotating provider the next holder then refuses
  // to send the token again (refuseInterruptedRotation): a failure must say so, not "try again".
  const refusedNext = credential.rotation_seen === true
  let tokens: TokenSet
  try {
    // Nothing is sent once the hold has ended (each attempt checks it: prepareRequest); a request already sent is
    // not aborted when it ends, since its answer may carry the only live refresh token (saveRefreshed keeps it).
    hold.signal.throwIfAborted()
    // Once it is sent, a Ctrl-C no longer aborts it: the provider may rotate the refresh token, and only its
    // answer holds the new one. The answer is awaited (within the deadline) and stored; then the command stops.
    refuseIfInterrupted(deps.interrupt)
    deps.interrupt?.awaitAnswer?.()
    tokens = await withDeadline(
      deadlineMs,
      metadata.token_endpoint,
      refusedNext
        ? 'nothing was stored'
        : 'nothing was stored, but the provider may have rotated the refresh token meanwhile: try again, and log in if that says invalid_grant',
      (signal) => requestToken(context, { grant_type: 'refresh_token', refresh_token: credential.refresh_token as RefreshToken }, signal),
    )
  } catch (err) {
    // invalid_grant, or what the provider declares as "grant dead" (LiveChat's unauthorized_client,
    // "refresh_token not found"); other client errors (a rotated secret) are reported as such.
    if (err instanceof OAuthError && isDeadGrantError(provider.config, err)) {
      return adoptNewerOrFail(view, key, credential, revision, err, deps)
    }
    if (err instanceof ProtocolError && err.issued !== undefined && err.issued.refresh_token !== credential.refresh_token) {
      return keepIssuedRefreshToken(store, view, keptRefreshToken(credential, err.issued.refresh_token, metadata, deps.clock.now()), revision, hold, err, deps)
    }
    // The provider answered (so issued nothing, or handed back the very refresh token sent: not spent), or the
    // request never left (nor a retry, once the hold had ended): no refresh is in flight after all. An unusable
    // token answer with no refresh token in it issued none in place of the one sent: that one is still the live one
    // (RFC 6749 §6), as after an answer that works and carries none.
    const endedFirst = err === hold.signal.reason
    const settled =
      endedFirst ||
      err instanceof OAuthError ||
      (err instanceof ProtocolError && (err.issued !== undefined || err.noRefreshToken)) ||
      (err instanceof TransportError && NEVER_SENT.has(err.kind)) ||
      err instanceof CancelledError
    if (settled) {
      await view.mark(key, revision, null).catch(() => undefined)
      if (!(endedFirst && err instanceof StoreError)) throw err
      throw new StoreError(err.kind, err.location, `${err.message}; the refresh was not sent, so the stored refresh token is not spent`, { cause: err, hint: 'run the command again' })
    }
    // Unsettled where rotation was never seen: sending the token again is safe (refuseInterruptedRotation), so "try again".
    if (!refusedNext) throw err
    // Unsettled at a rotating provider: a local store's mark is written now (a shared store's is there already).
    const marked = markedFirst || (await view.mark(key, revision, inFlight).catch(() => undefined)) !== undefined
    throw marked ? new UnsettledRefreshError(key, err) : err
  }
  sayTokenNotes(tokens, deps)
  return saveRefreshed(store, view, refreshedCredential(credential, tokens, metadata, deps.clock.now()), revision, hold, deps)
}

/**
 * What a refresh answer makes of the stored credential, stored this one way:
 * merged (mergeRefreshed: a rejection forgotten, the write time, rotation
 * seen) and naming the token endpoint that answered.
 */
function refreshedCredential(credential: StoredCredential, tokens: TokenSet, metadata: ServerMetadata, now: number): StoredCredential {
  return { ...mergeRefreshed(credential, tokens, now), token_endpoint: metadata.token_endpoint }
}

/**
 * The same for an answer that could not be used but carried a good new refresh
 * token: that one, beside the old access token (the same grant's) counted as
 * expired now, so the next command refreshes with it.
 */
function keptRefreshToken(credential: StoredCredential, refreshToken: RefreshToken, metadata: ServerMetadata, now: number): StoredCredential {
  const tokens = refreshOnlyTokens(refreshToken, now, { access_token: credential.access_token as AccessToken, token_type: credential.token_type })
  return refreshedCredential(credential, tokens, metadata, now)
}

/** The token endpoint (re-pointed, when the provider moved it) and the client that will send the refresh. */
async function prepareRequest(provider: ResolvedProvider, credential: StoredCredential, hold: Hold, deps: SessionDeps) {
  const metadata = await resolveTokenEndpoint(provider, deps, credential)
  // Only "never processed" failures are retried: a lost answer may mean the old refresh token is already spent.
  const context = await tokenContext(provider, metadata, toOAuthClient(provider, credential), deps, (http) =>
    withRetry(whileHeld(http, hold), REFRESH_RETRY, { clock: deps.clock, onRetry: deps.onRetry }),
  )
  return { metadata, context }
}

/**
 * Each attempt (a retry too) starts only while the hold lasts: once it has
 * ended another holder may be sending the same refresh token. An attempt
 * whose connection is still opening when the hold ends is dropped unwritten
 * (abortUnsent), and fails with the hold's own reason (nothing was sent). One
 * already written is not aborted: the provider may have answered already, and
 * that answer is kept. `hold.signal` is read anew each time: a lease checks its
 * clock then, not only when a timer fires.
 */
function whileHeld(http: HttpClient, hold: Hold): HttpClient {
  return async (url, init = {}) => {
    hold.signal.throwIfAborted()
    try {
      return await http(url, { ...init, abortUnsent: hold.signal })
    } catch (err) {
      // Only abortUnsent aborts a refresh's request (the deadline's is a timeout): the hold ended before it was written.
      const held = hold.signal
      if (err instanceof TransportError && err.kind === 'aborted' && held.aborted) throw held.reason
      throw err
    }
  }
}

/** Transport failures that mean the request never reached the provider. */
const NEVER_SENT = new Set(['dns', 'connect', 'tls'])

/**
 * A refresh sent under another hold and never stored means its sender died
 * (or lost its lease) between sending and storing. Where the provider has been
 * seen to rotate refresh tokens (`rotation_seen`), the stored one may be spent
 * and sending it again would get the whole grant revoked: mark it dead (so the
 * others stop at once too) and ask for a login. Where rotation was never seen,
 * sending it again is safe: it works if the first request never arrived, and
 * at worst the provider answers invalid_grant.
 */
async function refuseInterruptedRotation(key: CredentialKey, slot: RefreshSlot, deps: SessionDeps): Promise<void> {
  const mark = slot.read.mark
  if (mark?.kind !== 'refresh_in_flight' || mark.fence === slot.hold.fence) return
  if (!slot.read.credential.rotation_seen) return
  await slot.view
    .mark(key, slot.read.revision, { kind: 'dead', error: INTERRUPTED_REFRESH, at: isoTime(deps.clock.now()) })
    .catch(() => undefined)
  throw new InterruptedRefreshError(key, mark.holder, mark.at)
}

/** Someone wrote between our read and our mark (our lease ended meanwhile): theirs is newer. */
async function adoptWrittenMeanwhile(view: VersionedStore, key: CredentialKey, used: StoredCredential): Promise<StoredCredential> {
  const again = await view.getVersioned(key)
  if (again.status === 'found' && again.credential.refresh_token !== used.refresh_token) return again.credential
  throw new StoreError('lease_timeout', 'refresh', `the stored credentials for ${key.provider} (profile ${key.profile}) changed while this refresh held the lock; nothing was sent`, {
    hint: 'run the command again',
  })
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
 * worth a few tries to keep, and then an emergency file (retryWrite). They are
 * written by compare-and-set on the revision refreshed, also after the hold
 * ended (nobody wrote since: still ours to write). When a newer write came
 * first, it wins (never overwritten) and ours go to the emergency file: beside
 * a writer that took no lock while we held ours (an import), the newer one is
 * used (rescueSuperseded); after our hold ended (the lease ran out while this
 * process was stopped or starved), the row is another runner's doing (its
 * refresh, or its "dead" mark: it took ours for lost), so this is no success:
 * the error names the emergency file and the import that restores it.
 */
async function saveRefreshed(
  store: CredentialStore,
  view: VersionedStore,
  next: StoredCredential,
  revision: Revision,
  hold: Hold,
  deps: SessionDeps,
): Promise<StoredCredential> {
  const newer = await retryWrite(store, next, deps, async () => {
    if ((await view.compareAndSet(next, revision)) !== undefined) return undefined
    const now = await view.getVersioned(next)
    if (now.status === 'found') return now
    throw new StoreError('io', store.location, `the credentials for ${next.provider} (profile ${next.profile}) were removed while being refreshed`)
  })
  if (newer === undefined) return next
  if (hold.signal.aborted) throw await unsavedError(store, next, supersededAfterHold(hold.signal.reason, newer.mark, store), deps)
  await rescueSuperseded(store, next, newer.credential, deps)
  return newer.credential
}

/** Why the answer of a refresh whose hold ended was not stored: the hold's own reason, and what the row holds now. */
function supersededAfterHold(reason: unknown, mark: CredentialMark | undefined, store: CredentialStore): StoreError {
  const lost = reason instanceof StoreError ? reason : new StoreError('lease_timeout', store.location, 'the refresh lock ended before the refresh finished')
  const now =
    mark?.kind === 'dead'
      ? 'another runner has since marked the stored credentials dead (it took this refresh for lost)'
      : 'another runner has since stored other credentials'
  return new StoreError(lost.kind, lost.location, `${lost.message}, and ${now}`, { cause: reason })
}

/**
 * An answer that could not be used (its access token, token type or scope refused) but
 * carried a good new refresh token: the one sent may be spent, so the new one
 * is stored (beside the old access token, expired now, so the next command
 * refreshes with it) before the answer's failure is reported.
 */
async function keepIssuedRefreshToken(
  store: CredentialStore,
  view: VersionedStore,
  next: StoredCredential,
  revision: Revision,
  hold: Hold,
  err: ProtocolError,
  deps: SessionDeps,
): Promise<never> {
  await saveRefreshed(store, view, next, revision, hold, deps)
  throw new ProtocolError(err.code, `${err.message}; its new refresh token was stored, so the next refresh sends that one`, {
    cause: err,
    ...(err.status === undefined ? {} : { status: err.status }),
  })
}

/**
 * On invalid_grant, look once more: a process that did not honour our lock
 * (or an older tool version) may have stored a newer refresh token. Otherwise
 * the credential is marked dead, by compare-and-set on the revision that was
 * refreshed (a stale runner cannot kill a newer credential), so that others
 * sharing the store stop without sending it again.
 */
async function adoptNewerOrFail(
  view: VersionedStore,
  key: CredentialKey,
  used: StoredCredential,
  revision: Revision,
  err: OAuthError,
  deps: SessionDeps,
): Promise<StoredCredential> {
  const again = await view.getVersioned(key)
  if (again.status === 'found' && again.credential.refresh_token !== used.refresh_token) {
    return again.credential
  }
  // Remembered on the credential (status stops calling it refreshable; a new login replaces it) and, in a
  // shared store, marked dead for the others: both by compare-and-set on the revision that was refreshed.
  if (again.status === 'found') {
    const at = isoTime(deps.clock.now())
    const remembered =
      again.credential.refresh_rejected_at === undefined
        ? await view.compareAndSet({ ...again.credential, refresh_rejected_at: at }, revision).catch(() => undefined)
        : again.revision === revision ? revision : undefined
    if (remembered !== undefined) await view.mark(key, remembered, { kind: 'dead', error: err.error, at }).catch(() => undefined)
  }
  throw new RefreshRejectedError(key, err.error, err.error_description, { cause: err })
}
