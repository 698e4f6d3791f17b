/**
 * The default store where a keychain answers: the keychain, and the file store
 * beside it. A credential is found in either (the file store holds what was
 * written while no keychain answered, or with `--store file`), and written back
 * where it lives; a new one goes to the keychain. `kindOf` says where each
 * credential lives, for `status` and the summaries.
 */
import type { CredentialKey, CredentialStore, StoreKind, StoredCredential } from './credential-store'
import { StoreError, toAccountKey } from './credential-store'

export function createEitherStore(primary: CredentialStore, secondary: CredentialStore): CredentialStore {
  const home = new Map<string, CredentialStore>()
  const listed = new WeakMap<StoredCredential, StoreKind>()
  const remember = (key: CredentialKey, store: CredentialStore): void => void home.set(toAccountKey(key), store)
  /** Where the credential lives now; the primary for a new one. */
  const locate = async (key: CredentialKey): Promise<CredentialStore> => {
    const known = home.get(toAccountKey(key))
    if (known) return known
    if ((await primary.get(key)).status === 'found') return primary
    // An unreadable file is not where a new login should go.
    const inSecondary = await secondary.get(key).catch(() => ({ status: 'missing' as const }))
    return inSecondary.status === 'found' ? secondary : primary
  }
  return {
    kind: primary.kind,
    location: `${primary.location}, then ${secondary.location}`,
    async get(key) {
      const first = await primary.get(key)
      if (first.status === 'found') {
        remember(key, primary)
        return first
      }
      const second = await secondary.get(key)
      if (second.status === 'found') remember(key, secondary)
      return second
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
    async list(options) {
      const out: StoredCredential[] = []
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
          listed.set(credential, store.kind)
          out.push(credential)
        }
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
