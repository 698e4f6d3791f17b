/**
 * A provider entry marked `unverified` (endpoints no official documentation
 * confirms: Tidio's and Livestorm's OAuth) is said so on every use of its OAuth
 * endpoints or of a credential they issued, once per command, on stderr.
 */
import type { SessionDeps } from './deps'
import type { ResolvedProvider } from '../providers/types'
import type { StoredCredential } from '../store/credential-store'

const warned = new WeakMap<object, Set<string>>()

/** The warning line, without the newline. */
export function unverifiedWarning(provider: ResolvedProvider): string | undefined {
  const reason = provider.config.unverified
  return reason === undefined ? undefined : `warning: ${provider.name}'s OAuth endpoints are unverified: ${reason}`
}

/** Whether this credential came from (or renews at) the unverified OAuth endpoints; a static credential did not. */
export function usesUnverifiedOAuth(provider: ResolvedProvider, credential: Pick<StoredCredential, 'kind'> | undefined): boolean {
  return provider.config.unverified !== undefined && (credential === undefined || credential.kind === 'oauth')
}

/** Writes the warning once per command (per SessionDeps) and provider. `credential` undefined: an OAuth flow is starting. */
export function warnIfUnverified(
  provider: ResolvedProvider,
  credential: Pick<StoredCredential, 'kind'> | undefined,
  deps: Pick<SessionDeps, 'io'>,
): void {
  if (!usesUnverifiedOAuth(provider, credential)) return
  const seen = warned.get(deps.io) ?? new Set<string>()
  warned.set(deps.io, seen)
  if (seen.has(provider.name)) return
  seen.add(provider.name)
  deps.io.stderr.write(`${unverifiedWarning(provider)}\n`)
}
