/**
 * Every store seen as a VersionedStore, so a refresh is written the same way
 * whichever store holds the credential. A shared store brings its own
 * (compare-and-set in the database); a local store (keychain, file) is wrapped:
 * its revision stands for the credential exactly as read, a compare-and-set
 * reads it again and writes only if unchanged (the machine's lock keeps other
 * refreshers out meanwhile), and marks are not kept, since the machine's lock
 * is never taken from a live holder.
 */
import { ABSENT, type CredentialStore, type Revision, type StoredCredential, type VersionedStore } from './credential-store'

export function versionedView(store: CredentialStore): VersionedStore {
  if (store.versioned) return store.versioned
  const revisionOf = internedRevisions()
  return {
    async getVersioned(key) {
      const found = await store.get(key)
      return found.status === 'found' ? { status: 'found', credential: found.credential, revision: revisionOf(found.credential) } : found
    },
    async compareAndSet(credential, expected) {
      const found = await store.get(credential)
      const current = found.status === 'found' ? revisionOf(found.credential) : ABSENT
      if (current !== expected) return undefined
      await store.set(credential)
      return revisionOf(credential)
    },
    mark: async (_key, expected) => expected,
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
