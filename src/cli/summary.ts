/** The public view of a stored credential: what status/login/refresh print. Never a secret. */
import { interruptedRefreshOf, storeKindOf, type CredentialStore, type StoreKind, type StoredCredential } from '../store/credential-store'
import { isRenewable } from '../session/credentials'
import type { SessionDeps } from '../session/deps'
import { chooseProfile, readProfilesFile, type ProfilesFile } from '../session/profiles'
import type { Env } from '../platform/process'

/** shared/SPEC.md "JSON output": snake_case, `scope` as OAuth's space-separated string. */
export interface CredentialSummary {
  provider: string
  profile: string
  token_type: string
  scope: string
  expires_at: string | null
  refreshable: boolean
  store: StoreKind
  /** The shared store only: `host:port/db` (shared/SPEC.md "Shared store"), never the password. */
  store_location?: string
}

/** `from`: the store's kind, or the store itself (which says where the credential lives; a shared one adds its location). */
export function summarize(credential: StoredCredential, from: StoreKind | CredentialStore): CredentialSummary {
  const store = typeof from === 'string' ? from : storeKindOf(from, credential)
  return {
    provider: credential.provider,
    profile: credential.profile,
    token_type: credential.kind === 'static' ? 'static' : credential.token_type,
    scope: credential.scope.join(' '),
    expires_at: credential.expires_at ?? null,
    // Client-credentials tokens renew themselves without a refresh token; one the provider rejected does not count
    // (nor a shared store's row marked dead, which its listing shows rejected: store/postgres-store.ts asListed),
    // nor one whose last refresh, at a rotating provider, was lost with its holder: the next refresh will not send it.
    refreshable: isRenewable(credential) && credential.refresh_rejected_at === undefined && interruptedRefreshOf(credential) === undefined,
    store,
    ...(typeof from !== 'string' && from.kind === 'postgres' ? { store_location: from.location } : {}),
  }
}

/**
 * `token --json` (SPEC, "JSON output"): `{"access_token", "token_type", "expires_at"}`, one
 * line. Static credentials say `static`; a lifetime nobody knows is `null`.
 */
export function renderTokenJson(credential: Pick<StoredCredential, 'access_token' | 'token_type' | 'expires_at' | 'kind'>): string {
  const token_type = credential.kind === 'static' ? 'static' : credential.token_type
  return `${JSON.stringify({ access_token: credential.access_token, token_type, expires_at: credential.expires_at ?? null })}\n`
}

/**
 * The summary with `default` (whether its profile is the one the provider's
 * commands use without --profile), as `status --json` rows have it:
 * `refresh --json` prints the same object as a status row.
 */
export async function withDefaultFlag(summary: CredentialSummary, deps: Pick<SessionDeps, 'env' | 'homedir' | 'readTextFile'>): Promise<CredentialSummary & { default: boolean }> {
  return { ...summary, default: isDefaultProfile(summary, deps.env, await readProfilesFile(deps)) }
}

/**
 * Whether `profile` is the one its provider's commands use without --profile
 * (OAUTH_CLI_PROFILE, then profiles.json, then `default`): the `default` of a
 * status row and of `refresh --json`, decided by one rule.
 */
export function isDefaultProfile(key: { provider: string; profile: string }, env: Env, profiles: ProfilesFile): boolean {
  return chooseProfile({ provider: key.provider, env, file: profiles }).profile === key.profile
}

/** Where a summary's credential lives, for the "stored in …" line of login and import. */
export function describeStore(summary: CredentialSummary): string {
  if (summary.store === 'keychain') return 'the OS keychain'
  if (summary.store === 'postgres') return `the shared store at ${summary.store_location}`
  return 'the file store'
}
