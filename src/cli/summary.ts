/** The public view of a stored credential: what status/login/refresh print. Never a secret. */
import type { StoreKind, StoredCredential } from '../store/credential-store'
import { isRenewable } from '../session/credentials'

/** shared/SPEC.md "JSON output": snake_case, `scope` as OAuth's space-separated string. */
export interface CredentialSummary {
  provider: string
  profile: string
  token_type: string
  scope: string
  expires_at: string | null
  refreshable: boolean
  store: StoreKind
}

export function summarize(credential: StoredCredential, store: StoreKind): CredentialSummary {
  return {
    provider: credential.provider,
    profile: credential.profile,
    token_type: credential.kind === 'static' ? 'static' : credential.token_type,
    scope: credential.scope.join(' '),
    expires_at: credential.expires_at ?? null,
    // Client-credentials tokens renew themselves without a refresh token.
    refreshable: isRenewable(credential),
    store,
  }
}
