/**
 * Every store seen as a VersionedStore, so a refresh is written the same way
 * whichever store holds the credential. A shared store brings its own
 * (compare-and-set in the database); a local store (keychain, file) is wrapped:
 * its revision is a digest of the credential as read, a compare-and-set reads
 * it again and writes only if unchanged (the machine's lock keeps other
 * refreshers out meanwhile), and marks are not kept, since the machine's lock
 * is never taken from a live holder.
 */
import { createHash } from 'node:crypto'
import { ABSENT, type CredentialStore, type Revision, type StoredCredential, type VersionedStore } from './credential-store'

export function versionedView(store: CredentialStore): VersionedStore {
  if (store.versioned) return store.versioned
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

/** A digest, so a revision never carries a secret into a message by accident. */
function revisionOf(credential: StoredCredential): Revision {
  return createHash('sha256').update(JSON.stringify(credential)).digest('hex').slice(0, 32)
}
