/**
 * A provider is data: built-in providers (catalog.ts) and config-file entries
 * share this shape. Keys follow RFC 8414 / RFC 7591 so a discovery document can
 * be pasted in; the quirk fields below are declarative, so core code never
 * branches on a provider's name.
 */
import type { ClientSecret, TokenEndpointAuthMethod, TokenRequestEncoding } from '../oauth/types'

/** How a `--with-token` credential is sent (shared/SPEC.md, static credentials). */
export interface StaticCredentialSpec {
  /** What the user pastes, as shown in prompts and messages, e.g. `ACCOUNT_ID:PAT`. */
  format: string
  /**
   * `basic`: `Authorization: Basic base64(format)`; `raw`: `Authorization: <token>`;
   * `bearer`: `Authorization: Bearer <token>`; `header_pair`: `ID:SECRET` split into two headers.
   */
  scheme: 'basic' | 'raw' | 'bearer' | 'header_pair'
  /** For `header_pair`: the header names for the part before and after the first `:`. */
  headers?: [string, string]
  /** Where the user creates such a credential. */
  docs_url?: string
}

/**
 * A token-endpoint error that means the grant itself is dead (the refresh token,
 * or at login the authorization code), beyond RFC 6749's `invalid_grant`, which
 * always counts; either only in a 400 or 401 answer. Without either list the
 * code alone says so. Descriptions compare case-insensitively: with
 * `description_contains`, only one naming a word of it is dead; with only
 * `unless_description_contains`, one naming none of its words is. An empty or
 * missing description is then ambiguous, so not dead.
 */
export interface DeadGrantError {
  error: string
  description_contains?: string[]
  unless_description_contains?: string[]
}

/**
 * A response header that, at 0, means a long-period quota is spent rather than
 * a short burst limit: the request is not retried (the wait would be days).
 */
export interface RateLimitQuota {
  /** E.g. `RateLimit-Monthly-Remaining`. */
  remaining_header: string
  /** When the quota resets: Unix seconds, seconds from now, or an HTTP date. */
  reset_header?: string
  /** For messages: `monthly`. */
  period: string
}

/**
 * A hint for an API error answer. It applies when the status is listed (any
 * status if `status` is absent) and, with `body_field`, when that dotted path of
 * the JSON body (`error.type`, `errors.0.code`) equals `equals`. `{a.b}` in
 * `message` is replaced by that body field (`(not given)` when absent).
 * `hint`, when given, is what to do, said in place of the generic one (a login
 * for a 401 or 403): for an answer a login cannot change (a plan without API access).
 */
export interface ApiErrorHint {
  status?: number[]
  body_field?: string
  equals?: string
  message: string
  hint?: string
}

/** How `call --paginate` follows pages. */
export type PaginationStyle = 'jsonapi_page' | 'cursor' | 'next_page_id' | 'link'

export interface ProviderConfig {
  // RFC 8414 / RFC 7591 vocabulary
  issuer?: string
  authorization_endpoint?: string
  token_endpoint?: string
  revocation_endpoint?: string
  device_authorization_endpoint?: string
  api_base_url?: string
  client_id?: string
  client_secret?: string
  token_endpoint_auth_method?: TokenEndpointAuthMethod
  /** Space-separated, as in RFC 6749. */
  scope?: string
  redirect_uri?: string
  authorization_params?: Record<string, string>
  token_request_encoding?: TokenRequestEncoding

  // Declarative quirks
  display_name?: string
  docs_url?: string
  /**
   * `rfc7009`: POST the token to `revocation_endpoint` (default).
   * `delete_bearer`: `DELETE revocation_endpoint` with `Authorization: Bearer <token>` (LiveChat).
   */
  revocation_style?: 'rfc7009' | 'delete_bearer'
  /** PKCE method to send; `none` for providers known to reject it. Default `S256`. */
  code_challenge_method?: 'S256' | 'none'
  /** What `login` does without `--oauth`/`--with-token`. Default `oauth`. */
  default_login?: 'oauth' | 'static'
  static_credential?: StaticCredentialSpec
  /** Headers every API call sends (Tidio's versioned Accept). A `-H` flag overrides. */
  api_headers?: Record<string, string>
  pagination?: PaginationStyle
  /** Marks endpoints that no official documentation confirms; `providers` says so. */
  unverified?: string
  /** What to check when the provider cannot be reached at all, said in place of the network hint (the sandbox: is it running?). */
  unreachable_hint?: string
  /** How scopes are joined in requests (`--scope a b` goes out as `a,b` with `,`). Default a space (RFC 6749 §3.3). */
  scope_separator?: ' ' | ','
  /** Token-endpoint errors that mean the grant is dead, besides `invalid_grant`. */
  dead_grant_errors?: DeadGrantError[]
  /**
   * A `login` over an existing credential revokes the tokens it replaces, once
   * the new ones are stored (for providers that cap live tokens per client and
   * user). Off by default: where a new login shares the old grant, revoking the
   * old refresh token could end the new one too.
   */
  revoke_replaced_on_login?: boolean
  /**
   * There is no usable default redirect URI: `login` without a configured one
   * stops and says why (this text) instead of listening on a loopback port.
   */
  redirect_uri_required?: string
  /** A quota header whose 0 means "stop, it resets later" (see RateLimitQuota). */
  rate_limit_quota?: RateLimitQuota
  /** Hints for API error answers, in order; every one that applies is shown. */
  api_error_hints?: ApiErrorHint[]
  /** What a public client (no client secret) and a confidential one mean at this provider; `doctor` shows it. */
  client_kinds?: { public?: string; confidential?: string }
}

/** Where the client id came from, for messages that say what to set. */
export type ValueSource = 'flag' | 'env' | 'dotenv' | 'config' | 'built-in' | 'none'

export interface ResolvedProvider {
  name: string
  source: 'built-in' | 'config' | 'built-in+config'
  /** The merged entry; endpoints validated (https, or http on loopback only). */
  config: ProviderConfig
  client_id: string | undefined
  client_secret: ClientSecret | undefined
  client_id_source: ValueSource
  client_secret_source: ValueSource
  /** `LIVECHAT_CLIENT_ID`, … — named in messages. */
  env_prefix: string
  /** Other known providers whose names map to the same env_prefix (`my-app`, `my.app`): their variables are nobody's. */
  env_prefix_shared_with?: string[]
}
