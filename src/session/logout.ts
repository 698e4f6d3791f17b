/**
 * `logout`: read, revoke and delete under the credential's refresh lock (the
 * lease of a shared store). Outside it, a refresh in flight at a rotating
 * provider could store its new pair after the delete (a credential back from
 * the dead, its tokens never revoked), or the logout could revoke a pair the
 * refresh had just replaced and delete the live one unrevoked.
 */
import type { SessionDeps } from './deps'
import { NotLoggedInError } from './errors'
import type { RevokeOutcome } from './revoke-credential'
import { withRefreshLock } from './save-issued'
import { StoreError, type CredentialKey, type CredentialStore, type StoredCredential } from '../store/credential-store'

export interface LogoutSteps {
  /** `--local`: delete without revoking (also what removes an item nothing can read). */
  local: boolean
  /** Revokes one stored credential; a rejection keeps everything stored. */
  revoke(credential: StoredCredential): Promise<RevokeOutcome>
}

/**
 * Revokes every distinct copy the store holds (the default store may keep one
 * in the keychain and one in the file store), then deletes them all. Throws
 * NotLoggedInError when nothing is stored.
 */
export async function logOut(store: CredentialStore, key: CredentialKey, deps: SessionDeps, steps: LogoutSteps): Promise<RevokeOutcome> {
  return withRefreshLock(store, key, deps, async (hold) => {
    if (steps.local) {
      const unreadable = await storedCopies(store, key).then(
        () => false,
        (err: unknown) => {
          if (err instanceof StoreError && (err.kind === 'corrupt' || err.kind === 'bad_passphrase')) return true
          throw err
        },
      )
      await store.delete(key)
      return { revoked: false, reason: unreadable ? 'the stored item was unreadable' : '--local' }
    }
    const copies = await storedCopies(store, key)
    // Before anything is revoked: a store that could not delete afterwards would keep a credential the provider killed.
    await store.checkDeletable?.(key)
    const outcomes: RevokeOutcome[] = []
    for (const copy of copies) outcomes.push(await steps.revoke(copy))
    // A hold that ended (a lease not renewed in time) may have let another process write since.
    hold.signal.throwIfAborted()
    // Only a writer that did not wait for the lock can have stored anything meanwhile: keep what it stored.
    const now = await storedCopies(store, key).catch((err: unknown) => {
      if (err instanceof NotLoggedInError) return []
      throw err
    })
    if (now.length === 0) return combined(outcomes)
    if (!sameTokens(now, copies)) {
      throw new StoreError('io', store.location, `the stored credentials for ${key.provider} (profile ${key.profile}) changed while logging out; the ones read were revoked, the new ones were kept`, {
        key,
        hint: `run oauth-cli logout ${key.provider}${key.profile === 'default' ? '' : ` --profile ${key.profile}`} again`,
      })
    }
    await store.delete(key).catch(async (err: unknown) => {
      if (outcomes.some((o) => o.revoked)) await markDead(store, key)
      throw err
    })
    return combined(outcomes)
  })
}

/**
 * Revoked at the provider but not deleted (the delete failed after all): on a
 * shared store the row is marked dead, so runners ask for a login instead of
 * spending a refresh on it. Best effort: the delete's own error is the one shown.
 */
async function markDead(store: CredentialStore, key: CredentialKey): Promise<void> {
  if (!store.versioned) return
  try {
    const found = await store.versioned.getVersioned(key)
    if (found.status !== 'found') return
    await store.versioned.mark(key, found.revision, { kind: 'dead', error: 'revoked by oauth-cli logout', at: new Date().toISOString() })
  } catch {
    // The store failed again: nothing more to do here.
  }
}

/** The copies holding distinct tokens, newest first; NotLoggedInError when there are none. */
async function storedCopies(store: CredentialStore, key: CredentialKey): Promise<StoredCredential[]> {
  const all = store.copiesOf ? await store.copiesOf(key) : await store.get(key).then((l) => (l.status === 'found' ? [l.credential] : []))
  if (all.length === 0) throw new NotLoggedInError(key, 'missing')
  const seen = new Set<string>()
  return all.filter((copy) => {
    const tokens = tokensOf(copy)
    if (seen.has(tokens)) return false
    seen.add(tokens)
    return true
  })
}

function tokensOf(credential: StoredCredential): string {
  return JSON.stringify([credential.access_token, credential.refresh_token ?? null])
}

function sameTokens(a: StoredCredential[], b: StoredCredential[]): boolean {
  return a.map(tokensOf).sort().join('\n') === b.map(tokensOf).sort().join('\n')
}

/** Revoked when every copy was; else the first reason one was not. */
function combined(outcomes: RevokeOutcome[]): RevokeOutcome {
  const notRevoked = outcomes.find((o): o is Extract<RevokeOutcome, { revoked: false }> => !o.revoked)
  if (!notRevoked) return { revoked: true }
  const some = outcomes.some((o) => o.revoked)
  return { revoked: false, reason: some ? `one stored copy was revoked, another not: ${notRevoked.reason}` : notRevoked.reason }
}
