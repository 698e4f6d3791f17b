/**
 * A `login` over an existing credential: it asks first on a terminal, as gh
 * does (`--force` or no terminal goes ahead), says it replaced it once the new
 * one is stored (never before: a login that fails replaces nothing), and, at a
 * provider with `revoke_replaced_on_login` (LiveChat caps live tokens per client
 * and user), revokes the replaced tokens once the new ones are stored.
 */
import type { SessionDeps } from './deps'
import type { ResolvedProvider } from '../providers/types'
import { StoreError, type CredentialKey, type CredentialStore, type StoredCredential } from '../store/credential-store'
import { ReplaceDeclinedError } from './errors'
import { revokeCredential } from './revoke-credential'

/** What a login over a stored credential says once the new one is stored (a login that fails replaced nothing, so it says nothing). */
export interface Replacement {
  /** Said if the save did replace a credential (or the unreadable item). */
  notice?: string
  /** The stored item could not be read: the save overwrites it whatever it held. */
  unreadable?: boolean
}

/**
 * Asks before a login over a stored credential (unless `--force`, or no
 * terminal), and says what to tell once it is replaced. Nothing is said here, only asked: a
 * login that then fails (empty input, no way to finish in CI) must not have
 * claimed to replace anything.
 * @throws ReplaceDeclinedError when the user answered anything but yes; nothing was changed
 */
export async function confirmReplace(
  store: CredentialStore,
  key: CredentialKey,
  deps: SessionDeps,
  options: { force: boolean },
): Promise<Replacement> {
  let lookup: Awaited<ReturnType<CredentialStore['get']>>
  const what = `${key.provider} (profile ${key.profile})`
  try {
    lookup = await store.get(key)
  } catch (err) {
    // An item nothing can read is what a new login fixes ("inspect or remove it, then log in again").
    if (err instanceof StoreError && err.kind === 'corrupt') {
      return { notice: `The stored credentials for ${what} could not be read; the new login replaced them.\n`, unreadable: true }
    }
    throw err
  }
  if (lookup.status !== 'found') return {}
  const interactive = deps.io.stdinIsTTY && deps.io.stderr.isTTY
  if (options.force || !interactive) {
    return { notice: `Already logged in to ${what}: the new login replaced the stored credentials.\n` }
  }
  const answer = await deps.io.readLine(`Already logged in to ${what}. Log in again and replace the stored credentials? [y/N] `)
  if (!/^\s*y(es)?\s*$/i.test(answer)) throw new ReplaceDeclinedError(key)
  return {}
}

/**
 * After the new credential is stored: revokes the one it replaced, where the
 * provider asks for it and the old tokens are not the new ones. A failure is
 * said on stderr and never fails the login: the new credential is what counts.
 */
export async function revokeReplaced(
  provider: ResolvedProvider,
  replaced: StoredCredential | undefined,
  current: StoredCredential,
  deps: SessionDeps,
): Promise<void> {
  if (replaced === undefined || provider.config.revoke_replaced_on_login !== true) return
  if (replaced.kind !== 'oauth' || replaced.access_token === current.access_token) return
  const tokens =
    replaced.refresh_token !== undefined && replaced.refresh_token === current.refresh_token
      ? { ...replaced, refresh_token: undefined }
      : replaced
  try {
    const outcome = await revokeCredential(provider, tokens, deps)
    if (outcome.revoked) deps.io.stderr.write(`Revoked the replaced ${provider.name} tokens (profile ${current.profile}).\n`)
    else deps.io.stderr.write(`warning: the replaced ${provider.name} tokens were not revoked: ${outcome.reason}\n`)
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    deps.io.stderr.write(
      `warning: logged in, but the replaced ${provider.name} tokens (profile ${current.profile}) could not be revoked (${reason}); ` +
        'they stay valid until they expire or the provider evicts them\n',
    )
  }
}
