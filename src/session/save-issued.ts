/**
 * Storing tokens a provider has just issued. Once a provider answered, the
 * tokens are the only copy (a login's code is spent, a refresh may have spent
 * the old refresh token), so they are never dropped: a store that still fails
 * after a few tries sends them to an emergency file (rescue.ts), and the error
 * names that file and the way back, never the tokens.
 */
import type { SessionDeps } from './deps'
import { encodeFileNamePart } from '../store/codec'
import { StoreError, storeKindOf, type CredentialKey, type CredentialStore, type StoredCredential } from '../store/credential-store'

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
  const { rescueCredential } = await import('./rescue')
  const path = await rescueCredential(next, { env: deps.env, homedir: deps.homedir, now: deps.clock.now() })
  const what = `oauth-cli: warning: ${next.provider} (profile ${next.profile}) was replaced while this refresh ran (by an import, a login or another runner), and the newer credentials are kept and used`
  const fate = path
    ? `; the tokens this refresh was issued were written to ${path} (mode 0600, readable only by you): to use them instead, ${restoreCommand(store, next, path)}; either way, then delete that file`
    : `; the tokens this refresh was issued could not be written to an emergency file either, so they are dropped`
  deps.io.stderr.write(`${what}${fate}\n`)
}

/** Writes `next` to an emergency file and returns the error to throw: where it went, and how to restore it. */
async function unsavedError(store: CredentialStore, next: StoredCredential, err: unknown, deps: SessionDeps): Promise<StoreError> {
  const reason = err instanceof Error ? err.message : String(err)
  const { rescueCredential } = await import('./rescue')
  const path = await rescueCredential(next, { env: deps.env, homedir: deps.homedir, now: deps.clock.now() })
  const who = `${next.provider} issued new tokens for profile ${next.profile}, but they could not be saved (${reason})`
  const fate = path
    ? `; they were written to ${path} (mode 0600, readable only by you): restore them with ${restoreCommand(store, next, path)}, then delete that file`
    : `; no emergency file could be written either, so they are lost; if ${next.provider} rotates refresh tokens the stored one is spent: run oauth-cli login ${next.provider}`
  return new StoreError(
    err instanceof StoreError ? err.kind : 'io',
    err instanceof StoreError ? err.location : store.location,
    who + fate,
    { cause: err },
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
 * A save (saveIssued by default) under the refresh lock (a shared store's
 * lease, as its refreshes use). Resolves the credential it replaced, as read
 * under that lock just before the save: a refresh that ran meanwhile (while
 * the user was in the browser) has replaced the one read before the login, so
 * only this one is what the new login really replaces (and may revoke). If the
 * lock cannot be had (a holder that outlives the lock timeout), the tokens are
 * saved all the same: losing them would be worse than the race the lock prevents.
 */
export async function saveUnderRefreshLock(
  store: CredentialStore,
  next: StoredCredential,
  deps: SessionDeps,
  save: (store: CredentialStore, next: StoredCredential, deps: SessionDeps) => Promise<void> = saveIssued,
): Promise<StoredCredential | undefined> {
  let saving = false
  const replaceNow = async (): Promise<StoredCredential | undefined> => {
    // Unreadable is what a new login fixes: nothing to revoke then.
    const before = await store.get(next).catch(() => ({ status: 'missing' as const }))
    saving = true
    await save(store, next, deps)
    return before.status === 'found' ? before.credential : undefined
  }
  try {
    const locker = store.locker ?? (await deps.locker())
    return await locker.withLock(refreshLockName(next), replaceNow)
  } catch (err) {
    if (saving || !(err instanceof StoreError)) throw err
    return replaceNow()
  }
}
