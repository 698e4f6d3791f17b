/**
 * Every store seen as a VersionedStore, so a refresh is written the same way
 * whichever store holds the credential. A shared store brings its own
 * (compare-and-set in the database); a local store (keychain, file) is wrapped:
 * its revision stands for the credential exactly as read, a compare-and-set
 * reads it again and writes only if unchanged (the machine's lock keeps other
 * refreshers out meanwhile). Marks are kept in the credential itself
 * (`refresh_mark`), and handed out beside it as a shared store's are; a write
 * of new tokens clears them. A dead mark (an unsettled refresh found so) also
 * sets `refresh_rejected_at`, so `status` says what the next command does.
 */
import { ABSENT, type CredentialStore, type Revision, type StoredCredential, type VersionedStore } from './credential-store'

export function versionedView(store: CredentialStore): VersionedStore {
  if (store.versioned) return store.versioned
  const revisionOf = internedRevisions()
  return {
    async getVersioned(key) {
      const found = await store.get(key)
      if (found.status !== 'found') return found
      const { refresh_mark: mark, ...credential } = found.credential
      return { status: 'found', credential, revision: revisionOf(found.credential), ...(mark ? { mark } : {}) }
    },
    async compareAndSet(credential, expected) {
      const found = await store.get(credential)
      const current = found.status === 'found' ? revisionOf(found.credential) : ABSENT
      if (current !== expected) return undefined
      await store.set(credential)
      return revisionOf(credential)
    },
    async mark(key, expected, mark) {
      const found = await store.get(key)
      if (found.status !== 'found' || revisionOf(found.credential) !== expected) return undefined
      const { refresh_mark: old, ...credential } = found.credential
      if (mark === null && old === undefined) return expected
      // A rejection alone is remembered as refresh_rejected_at (session/refresh.ts), and the next refresh sends the
      // token again, as a local store always has: only the end of a refresh left unsettled is kept as a dead mark.
      if (mark?.kind === 'dead' && old?.kind !== 'refresh_in_flight') return expected
      const next: StoredCredential =
        mark === null ? credential : { ...credential, refresh_mark: mark, ...(mark.kind === 'dead' ? { refresh_rejected_at: mark.at } : {}) }
      await store.set(next)
      return revisionOf(next)
    },
  }
}

/**
 * A local revision is only ever compared within the view that gave it (one
 * refresh, in this process), so it need not be a digest: each distinct
 * credential text gets the next number, the same text always the same one.
 * Exact, where a hash is only probably so, with no node:crypto to load (about
 * 3 ms of a refresh), and never carrying a secret into a message by accident.
 */
function internedRevisions(): (credential: StoredCredential) => Revision {
  const seen = new Map<string, Revision>()
  return (credential) => {
    const text = JSON.stringify(credential)
    let revision = seen.get(text)
    if (revision === undefined) {
      revision = `local-${seen.size + 1}`
      seen.set(text, revision)
    }
    return revision
  }
}
