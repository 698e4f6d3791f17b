/**
 * The default store where a keychain answers: the keychain, and the file store
 * beside it. A credential is found in either (the file store holds what was
 * written while no keychain answered, or with `--store file`), and written back
 * where it lives; a new one goes to the keychain. `kindOf` says where each
 * credential lives, for `status` and the summaries.
 *
 * Both may hold a copy of one credential (a login during a remembered keychain
 * fall-back, over an older keychain login): then the newer copy (`updated_at`;
 * the keychain's on a tie) is the credential, for `get`, `list` and writes
 * alike, so `token` uses what `status` shows. `copiesOf` gives every copy, so
 * that `logout` revokes each before `delete` removes them all.
 */
import type { CredentialKey, CredentialStore, StoreKind, StoredCredential } from './credential-store'
import { StoreError, toAccountKey } from './credential-store'

interface Copy {
  store: CredentialStore
  credential: StoredCredential
}

export function createEitherStore(primary: CredentialStore, secondary: CredentialStore): CredentialStore {
  const home = new Map<string, CredentialStore>()
  const listed = new WeakMap<StoredCredential, StoreKind>()
  const remember = (key: CredentialKey, store: CredentialStore): void => void home.set(toAccountKey(key), store)
  /**
   * Every copy, newest first. Once the keychain has one, an unreadable file
   * copy does not make the credential unreadable (it was never used before
   * there was a keychain copy); with none in the keychain, its error stands.
   */
  const copies = async (key: CredentialKey): Promise<Copy[]> => {
    const first = await primary.get(key)
    const second = await secondary.get(key).catch((err: unknown) => {
      if (first.status === 'found') return { status: 'missing' as const }
      throw err
    })
    const found: Copy[] = []
    if (first.status === 'found') found.push({ store: primary, credential: first.credential })
    if (second.status === 'found') found.push({ store: secondary, credential: second.credential })
    return found.sort((a, b) => (writtenAt(b.credential) > writtenAt(a.credential) ? 1 : writtenAt(b.credential) < writtenAt(a.credential) ? -1 : 0))
  }
  /** Where the credential lives now (its newest copy); the primary for a new one. */
  const locate = async (key: CredentialKey): Promise<CredentialStore> => {
    const known = home.get(toAccountKey(key))
    if (known) return known
    // An unreadable file is not where a new login should go.
    const found = await copies(key).catch(async () => {
      const first = await primary.get(key)
      return first.status === 'found' ? [{ store: primary, credential: first.credential }] : []
    })
    return found[0]?.store ?? primary
  }
  return {
    kind: primary.kind,
    location: `${primary.location}, then ${secondary.location}`,
    async get(key) {
      const [newest] = await copies(key)
      if (!newest) return { status: 'missing' }
      remember(key, newest.store)
      return { status: 'found', credential: newest.credential }
    },
    async set(credential) {
      const store = await locate(credential)
      await store.set(credential)
      remember(credential, store)
    },
    async delete(key) {
      const [a, b] = [await primary.delete(key), await secondary.delete(key)]
      home.delete(toAccountKey(key))
      return a || b
    },
    async copiesOf(key) {
      return (await copies(key)).map((copy) => copy.credential)
    },
    async list(options) {
      const newest = new Map<string, { credential: StoredCredential; kind: StoreKind }>()
      for (const store of [primary, secondary]) {
        let credentials: StoredCredential[]
        try {
          credentials = await store.list(options)
        } catch (err) {
          // A keychain that fails to list does not hide the file store's credentials from status.
          if (!options?.onUnreadable || !(err instanceof StoreError)) throw err
          options.onUnreadable(err)
          continue
        }
        for (const credential of credentials) {
          // One row per credential, the copy `get` uses (the keychain's, listed first, on a tie).
          const seen = newest.get(toAccountKey(credential))
          if (seen && writtenAt(seen.credential) >= writtenAt(credential)) continue
          newest.set(toAccountKey(credential), { credential, kind: store.kind })
        }
      }
      const out: StoredCredential[] = []
      for (const { credential, kind } of newest.values()) {
        listed.set(credential, kind)
        out.push(credential)
      }
      return out
    },
    async checkWritable(key, bytes) {
      const store = await locate(key)
      await store.checkWritable?.(key, bytes)
    },
    kindOf(credential) {
      return listed.get(credential as StoredCredential) ?? home.get(toAccountKey(credential))?.kind ?? primary.kind
    },
  }
}

/** When the copy was written; one without a readable time counts as oldest. */
function writtenAt(credential: StoredCredential): number {
  const at = Date.parse(credential.updated_at)
  return Number.isNaN(at) ? -Infinity : at
}
