/**
 * Storing tokens a provider has just issued. Once a provider answered, the
 * tokens are the only copy (a login's code is spent, a refresh may have spent
 * the old refresh token), so they are never dropped: a store that still fails
 * after a few tries sends them to an emergency file (rescue.ts), and the error
 * names that file and the way back, never the tokens.
 */
import type { SessionDeps } from './deps'
import { encodeFileNamePart } from '../store/codec'
import {
  ABSENT,
  StoreError,
  storeKindOf,
  type CredentialKey,
  type CredentialStore,
  type Hold,
  type LockOptions,
  type StoredCredential,
} from '../store/credential-store'

/** store.set, retried briefly (a keychain that hiccups); then the emergency file and an error naming it. */
export async function saveIssued(store: CredentialStore, next: StoredCredential, deps: SessionDeps): Promise<void> {
  await retryWrite(store, next, deps, () => store.set(next))
}

/**
 * A write of the just-issued `next`, tried again on a StoreError (a keychain
 * that hiccups, a file briefly locked by a reader on Windows); when it still
 * fails, `next` goes to the emergency file and the error names it. Shared by
 * a login's save (saveIssued) and a refresh's compare-and-set (refresh.ts).
 */
export async function retryWrite<T>(store: CredentialStore, next: StoredCredential, deps: SessionDeps, write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write()
    } catch (err) {
      if (attempt >= 3 || !(err instanceof StoreError)) throw await unsavedError(store, next, err, deps)
      await deps.clock.sleep(100 * attempt)
    }
  }
}

/**
 * A newer credential was stored while `next` was being issued (a writer that
 * did not take the lock: an import, a login whose lock wait timed out, a
 * runner whose lease was taken over). The newer one stays, but `next` is not
 * dropped: it goes to the emergency file, and one line says so and where.
 * Nothing is kept when the stored one already holds the same refresh token
 * (the grant is stored; only a spare access token would be).
 */
export async function rescueSuperseded(store: CredentialStore, next: StoredCredential, newer: StoredCredential, deps: SessionDeps): Promise<void> {
  if (next.refresh_token === undefined || newer.refresh_token === next.refresh_token) return
  const path = await rescueToFile(next, deps)
  const what = `oauth-cli: warning: ${next.provider} (profile ${next.profile}) was replaced while this refresh ran (by an import, a login or another runner), and the newer credentials are kept and used`
  const fate = path
    ? `; the tokens this refresh was issued were written to ${path} (mode 0600, readable only by you): to use them instead, ${restoreCommand(store, next, path)}; either way, then delete that file`
    : `; the tokens this refresh was issued could not be written to an emergency file either, so they are dropped`
  deps.io.stderr.write(`${what}${fate}\n`)
}

/** `next` in a new 0600 emergency file (session/rescue.ts): its path, or undefined when none could be written. */
async function rescueToFile(next: StoredCredential, deps: SessionDeps): Promise<string | undefined> {
  const { rescueCredential } = await import('./rescue')
  return rescueCredential(next, { env: deps.env, homedir: deps.homedir, now: deps.clock.now() })
}

/** Writes `next` to an emergency file and returns the error to throw: where it went, and how to restore it. */
export async function unsavedError(store: CredentialStore, next: StoredCredential, err: unknown, deps: SessionDeps): Promise<StoreError> {
  const reason = err instanceof Error ? err.message : String(err)
  const path = await rescueToFile(next, deps)
  const who = `${next.provider} issued new tokens for profile ${next.profile}, but they could not be saved (${reason})`
  const fate = path
    ? `; they were written to ${path} (mode 0600, readable only by you): restore them with ${restoreCommand(store, next, path)}, then delete that file`
    : `; no emergency file could be written either, so they are lost; if ${next.provider} rotates refresh tokens the stored one is spent: run oauth-cli login ${next.provider}`
  return new StoreError(
    err instanceof StoreError ? err.kind : 'io',
    err instanceof StoreError ? err.location : store.location,
    who + fate,
    // Why it could not be saved, and what to do about that (a lease's holder, a full disk), is still said.
    { cause: err, hint: err instanceof StoreError ? err.hint : undefined },
  )
}

/** The import that puts an emergency file back into the store `next` belongs in. */
function restoreCommand(store: CredentialStore, next: StoredCredential, path: string): string {
  const kind = storeKindOf(store, next)
  // The shared store is named by its URL, which may hold a password: never repeated, the same OAUTH_CLI_STORE names it.
  return kind === 'postgres' ? `oauth-cli import < ${path} (with this command's OAUTH_CLI_STORE or --store)` : `oauth-cli import --store ${kind} < ${path}`
}

/**
 * The lock a refresh of `key` runs under (session/fresh-token.ts). A login
 * saves under it too: a refresh in flight would otherwise store the replaced
 * credential's new tokens over the login's.
 */
export function refreshLockName(key: CredentialKey): string {
  return `refresh-${lockNamePart(key.provider)}-${lockNamePart(key.profile)}`
}

/**
 * Runs `fn` holding the refresh lock of `key`: the lease that spans a shared
 * store's fleet, else the machine's lock file. A refresh, a login's save and a
 * logout all take it this one way, so they exclude each other.
 * @throws StoreError('locked' or 'lease_timeout') when its holder keeps it past the wait
 */
export async function withRefreshLock<T>(
  store: CredentialStore,
  key: CredentialKey,
  deps: SessionDeps,
  fn: (hold: Hold) => Promise<T>,
  options?: LockOptions<T>,
): Promise<T> {
  const locker = store.locker ?? (await deps.locker())
  return locker.withLock(refreshLockName(key), fn, options)
}

/**
 * A part of a lock name with every `-` encoded too (encodeFileNamePart keeps
 * it), so the `-` between provider and profile is the only one: provider `a-b`
 * profile `c` and provider `a` profile `b-c` get different locks. Plain names
 * read as before (`refresh-acme-default`). The name is also the shared store's
 * lease key (store/postgres-lease.ts), so both stay consistent.
 */
function lockNamePart(name: string): string {
  return encodeFileNamePart(name).replaceAll('-', '%2D')
}

/**
 * A login's save under the refresh lock (a shared store's lease, as its
 * refreshes use). Resolves the credential it replaced, as read under that lock
 * just before the save: a refresh that ran meanwhile (while the user was in
 * the browser) has replaced the one read before the login, so only this one is
 * what the new login really replaces (and may revoke). `issued`: tokens a
 * provider issued (saveIssued: retried, else the emergency file); false for a
 * static credential, the user's own input, which is simply set.
 */
export async function saveUnderRefreshLock(
  store: CredentialStore,
  next: StoredCredential,
  deps: SessionDeps,
  options: { issued: boolean } = { issued: true },
): Promise<StoredCredential | undefined> {
  let saving = false
  const replaceNow = async (): Promise<StoredCredential | undefined> => {
    // Unreadable is what a new login fixes: nothing to revoke then.
    const before = await store.get(next).catch(() => ({ status: 'missing' as const }))
    saving = true
    await (options.issued ? saveIssued(store, next, deps) : store.set(next))
    return before.status === 'found' ? before.credential : undefined
  }
  try {
    return await withRefreshLock(store, next, deps, replaceNow)
  } catch (err) {
    if (saving || !(err instanceof StoreError)) throw err
    // The lock cannot be taken at all (its directory cannot be made): nobody holds it, and refreshes fail the same way.
    if (err.kind !== 'locked' && err.kind !== 'lease_timeout') return replaceNow()
    return saveDespiteHolder(store, next, err, deps, options.issued)
  }
}

/**
 * The lock's holder is alive past the lock timeout (a refresh, a logout) and
 * may be writing this credential right now. Only a store whose compare-and-set
 * is atomic (a shared store's row version) can take the login then: the
 * holder's own compare-and-set fails after it, and rescues the holder's tokens
 * (rescueSuperseded). A local store's compare-and-set is a read and a write
 * that only the lock keeps together, so a write now could overwrite what the
 * holder just stored, or be overwritten by it, both silently: nothing is
 * written. Issued tokens go to the emergency file the error names, with the
 * command that restores them once the holder is done; a static credential is
 * not stored, and the error says to try again.
 */
async function saveDespiteHolder(
  store: CredentialStore,
  next: StoredCredential,
  lockError: StoreError,
  deps: SessionDeps,
  issued: boolean,
): Promise<StoredCredential | undefined> {
  let reason = new StoreError(lockError.kind, lockError.location, `${lockError.message}; without the lock a login writes nothing, since that process may be storing these credentials now`, {
    cause: lockError,
    hint: lockError.hint,
  })
  if (store.versioned) {
    try {
      const read = await store.versioned.getVersioned(next)
      if ((await store.versioned.compareAndSet(next, read.status === 'found' ? read.revision : ABSENT)) !== undefined) {
        return read.status === 'found' ? read.credential : undefined
      }
      reason = new StoreError(lockError.kind, lockError.location, `${lockError.message}, and the stored credentials changed meanwhile`, { hint: lockError.hint })
    } catch (err) {
      if (!(err instanceof StoreError)) throw err
      reason = err
    }
  }
  if (!issued) {
    throw new StoreError(reason.kind, reason.location, `${reason.message}; the credential for ${next.provider} (profile ${next.profile}) was not stored: try again once that is done`, {
      cause: reason,
      hint: reason.hint,
    })
  }
  throw await unsavedError(store, next, reason, deps)
}
