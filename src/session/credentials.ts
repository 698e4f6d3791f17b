/** Converting between a fresh TokenSet and what is stored. Pure. */
import type { AccessToken, RefreshToken, TokenSet } from '../oauth/types'
import type { ProviderConfig } from '../providers/types'
import type { CredentialKey, StoredCredential } from '../store/credential-store'
import { isoTime } from '../platform/iso-time'

/** Refresh this long before expiry, at most: one named constant (STYLE.md, "Time"). */
export const REFRESH_SKEW_MS = 60_000

/**
 * How long before its expiry a token is refreshed (SPEC, `token` row): 60 s, or
 * half the token's lifetime if that is shorter, so a short-lived token is not
 * refreshed on every use. The lifetime is counted from when the token was
 * stored (`updated_at`); a later rewrite only makes the skew smaller.
 */
export function refreshSkewMs(credential: StoredCredential): number {
  if (credential.expires_at === undefined) return REFRESH_SKEW_MS
  const lifetime = Date.parse(credential.expires_at) - Date.parse(credential.updated_at)
  if (!Number.isFinite(lifetime) || lifetime <= 0) return REFRESH_SKEW_MS
  return Math.min(REFRESH_SKEW_MS, lifetime / 2)
}

/** The life a token must have left to be used as is: the refresh skew, or `--min-ttl` when that asks for more. */
export function minimumLifeMs(credential: StoredCredential, minTtlSeconds: number | undefined): number {
  return Math.max(refreshSkewMs(credential), (minTtlSeconds ?? 0) * 1000)
}

export function toStoredCredential(
  key: CredentialKey,
  tokens: TokenSet,
  context: { client_id?: string; client_secret?: string; token_endpoint?: string; now: number },
): StoredCredential {
  return {
    ...head(key),
    kind: 'oauth',
    access_token: tokens.access_token,
    token_type: tokens.token_type,
    refresh_token: tokens.refresh_token,
    expires_at: isoOrUndefined(tokens.expires_at),
    scope: tokens.scope,
    client_id: context.client_id,
    client_secret: context.client_secret,
    token_endpoint: context.token_endpoint,
    extra: Object.keys(tokens.extra).length > 0 ? tokens.extra : undefined,
    updated_at: isoTime(context.now),
  }
}

/**
 * RFC 6749 §5.1: an answer may leave `scope` out "if identical to the scope
 * requested by the client". Such an answer granted `requested` (the `scope`
 * parameter as sent, requestScope's form): stored as such, the next request of
 * the grant asks for it again and status shows it. Every grant that asks for a
 * scope (code, device, client credentials) takes its answer through here.
 */
export function withRequestedScope(tokens: TokenSet, requested: string | undefined, config: Pick<ProviderConfig, 'scope_separator'>): TokenSet {
  if (tokens.scope.length > 0 || requested === undefined) return tokens
  return { ...tokens, scope: requested.split(config.scope_separator ?? ' ').filter((s) => s !== '') }
}

/**
 * The tokens of an answer whose only usable part was a new refresh token (its
 * access token, token type or scope refused): that refresh token, and an access
 * token that expired at `now`, so the next command refreshes with it first and
 * the refused one is never printed or sent. `access`: the access token kept
 * beside it (a refresh keeps the old one, of the same grant); none for a login.
 */
export function refreshOnlyTokens(
  refreshToken: RefreshToken,
  now: number,
  access: Pick<TokenSet, 'access_token' | 'token_type'> = { access_token: '' as AccessToken, token_type: 'Bearer' },
): TokenSet {
  return { ...access, refresh_token: refreshToken, expires_at: now, scope: [], extra: {} }
}

/**
 * A credential that is an access token and nothing else to renew: a static
 * credential (`login --with-token`, Tidio's key pair) or a bearer token from
 * `OAUTH_CLI_<PROVIDER>_TOKEN`.
 */
export function toStaticCredential(
  key: CredentialKey,
  value: string,
  now: number,
  kind: 'static' | 'bearer' = 'static',
): StoredCredential {
  return {
    ...head(key),
    kind: kind === 'static' ? 'static' : 'oauth',
    access_token: value,
    token_type: kind === 'static' ? 'static' : 'Bearer',
    scope: [],
    updated_at: isoTime(now),
  }
}

/**
 * A refresh response replaces what it carries and keeps the rest: a response
 * without `refresh_token` keeps the old one (RFC 6749 §6), one without `scope`
 * keeps the old scopes.
 */
export function mergeRefreshed(old: StoredCredential, tokens: TokenSet, now: number): StoredCredential {
  const { refresh_rejected_at: _rejected, ...kept } = old
  return {
    ...kept,
    access_token: tokens.access_token,
    token_type: tokens.token_type || old.token_type,
    refresh_token: tokens.refresh_token ?? old.refresh_token,
    // A new refresh token means the provider rotates them: `export` warns that bundles go stale.
    ...(old.rotation_seen || rotated(old, tokens) ? { rotation_seen: true } : {}),
    expires_at: isoOrUndefined(tokens.expires_at),
    scope: tokens.scope.length > 0 ? tokens.scope : old.scope,
    extra: { ...old.extra, ...tokens.extra },
    updated_at: isoTime(now),
  }
}

/** The fields every stored credential starts with. */
function head(key: CredentialKey): Pick<StoredCredential, 'version' | 'provider' | 'profile'> {
  return { version: 1, provider: key.provider, profile: key.profile }
}

/** An expiry no Date can hold is unknown: issued tokens are never lost to a RangeError. */
function isoOrUndefined(ms: number | undefined): string | undefined {
  if (ms === undefined) return undefined
  const time = new Date(ms).getTime()
  return Number.isNaN(time) ? undefined : isoTime(time)
}

/** True when the access token expires within `ttlMs` from `now` (or has no refresh-worthy expiry). */
export function expiresWithin(credential: StoredCredential, now: number, ttlMs: number): boolean {
  if (credential.kind === 'static' || credential.expires_at === undefined) return false
  return Date.parse(credential.expires_at) - now <= ttlMs
}

function rotated(old: StoredCredential, tokens: TokenSet): boolean {
  return tokens.refresh_token !== undefined && old.refresh_token !== undefined && tokens.refresh_token !== old.refresh_token
}

/** True when a new access token can be had without the user: a refresh token, or the client credentials grant. */
export function isRenewable(credential: StoredCredential): boolean {
  return isRefreshable(credential) || (credential.kind === 'oauth' && credential.grant === 'client_credentials')
}

export function isRefreshable(credential: StoredCredential): boolean {
  return credential.kind === 'oauth' && typeof credential.refresh_token === 'string' && credential.refresh_token !== ''
}
