/**
 * The built-in providers, as plain data in the config-file shape (validated by
 * the same schema in tests). Facts and their sources: shared/providers.md.
 * A config entry with the same name overrides these field by field.
 */
import { sandboxProviderConfig } from '../sandbox/provider'
import type { ProviderConfig } from './types'

/**
 * Each field's comment names its row in shared/providers.md (section, then the
 * row's "Fact" column, or the numbered item of "What the tool gets wrong today"),
 * which names the vendor source.
 */

/**
 * LiveChat and Tidio default to `http://localhost:3000/callback`: the providers'
 * own guides use it, and LiveChat matches the port exactly, so a random loopback
 * port would never be accepted (§1 "Redirect URI rules").
 */
const DEFAULT_REDIRECT_URI = 'http://localhost:3000/callback'

/** LiveChat / Text platform: shared/providers.md §1. */
const livechat = (): ProviderConfig => ({
  display_name: 'LiveChat (Text platform)',
  docs_url: 'https://platform.text.com/docs/authorization/oauth-authorization',
  // §1 "Authorize endpoint": the host root.
  authorization_endpoint: 'https://accounts.livechat.com/',
  // §1 "Token endpoint": one URL for exchange and refresh (POST) ...
  token_endpoint: 'https://accounts.livechat.com/v2/token',
  // ... §1 "Revocation": and revocation (DELETE, token as Bearer; 404 = already gone).
  revocation_endpoint: 'https://accounts.livechat.com/v2/token',
  revocation_style: 'delete_bearer',
  // §1 "API base and versions".
  api_base_url: 'https://api.livechatinc.com',
  // §1 "Client authentication": the secret goes in the body; HTTP Basic is not documented.
  // A public (web-app) client has no secret and sends only client_id (§1 "`refresh_token` grant").
  token_endpoint_auth_method: 'client_secret_post',
  // §1 "Token body encoding": the docs' curl examples are form-encoded.
  token_request_encoding: 'form',
  // §1 "Redirect URI rules": exact scheme, host and port.
  redirect_uri: DEFAULT_REDIRECT_URI,
  // No default scope: the app's configured scopes apply (§1 "Other authorize params";
  // "Uncertain": leaving scope out is the safest choice).
  // §1 "Other authorize params" and "Scopes"; "What the tool gets wrong" 6: comma-separated.
  scope_separator: ',',
  // "What the tool gets wrong" 1, §1 "Token endpoint errors" (LC-OAUTH error list, LC-TROUBLE):
  // `unauthorized_client` is "refresh_token not found" on a refresh and an expired or used
  // code at login; the same code about an invalid client_secret, client_id or redirect_uri
  // is the client's problem, and says so in its description: only one naming the token or code is dead.
  dead_grant_errors: [
    {
      error: 'unauthorized_client',
      description_contains: ['refresh_token', 'refresh token', 'code'],
    },
  ],
  // "What the tool gets wrong" 5, §1 "Token caps": 25 tokens per client and user, the oldest
  // silently revoked; a login over a credential revokes the one it replaces.
  revoke_replaced_on_login: true,
  // "What the tool gets wrong" 4, §1 "Region routing" and "API errors": `misdirected_request`
  // carries the token's region in data.region. No X-Region header: that guidance was removed.
  api_error_hints: [
    {
      body_field: 'error.type',
      equals: 'misdirected_request',
      message:
        'LiveChat says this request reached the wrong region: the account this token belongs to lives in region "{error.data.region}" ' +
        '(data.region; dal is the US, fra the EU data center), not in the one that answered. ' +
        'Use a token issued for that account, or log in again to get one',
    },
  ],
  // §1 "Refresh rotation" and "`authorization_code` grant": the two kinds of app.
  client_kinds: {
    public:
      'a public (JavaScript web) app: no client secret, PKCE required, refresh tokens rotate and are single-use',
    confidential:
      'a server-side app: the client secret goes with every token request (PKCE too), refresh tokens do not rotate',
  },
  // §1 "Personal Access Tokens (PAT)": Basic base64(account_id:PAT).
  static_credential: {
    format: 'ACCOUNT_ID:PAT',
    scheme: 'basic',
    docs_url: 'https://platform.text.com/docs/authorization/personal-access-tokens',
  },
  // "Differences" 9 and the Agent Chat API: `next_page_id` in the body, absent on the last page.
  pagination: 'next_page_id',
})

/** Livestorm: shared/providers.md §2. */
const livestorm = (): ProviderConfig => ({
  display_name: 'Livestorm',
  docs_url: 'https://developers.livestorm.co/docs/oauth2-authentication',
  // §2 "Authorize endpoint" and "Token endpoint" (third-party: amp-labs connectors).
  authorization_endpoint: 'https://app.livestorm.co/oauth/authorize',
  token_endpoint: 'https://app.livestorm.co/oauth/token',
  // §2 "API base".
  api_base_url: 'https://api.livestorm.co/v1',
  // §2 "Token request": client_id and client_secret in a form body.
  token_endpoint_auth_method: 'client_secret_post',
  token_request_encoding: 'form',
  // "What the tool gets wrong" 2, §2 "Who can use OAuth" and "Redirect URI rules": no
  // redirect_uri default. Partner apps register one HTTPS URL; login uses paste mode with it.
  redirect_uri_required:
    'Livestorm OAuth is only for technology partners, whose app is registered with one HTTPS redirect URL, so there is no loopback default',
  // "What the tool gets wrong" 7, §2 "Rate limits": 10,000 calls per month; RateLimit-Reset
  // is the start of the next period. The 5 requests/s burst limit is retried as usual.
  rate_limit_quota: { remaining_header: 'RateLimit-Monthly-Remaining', reset_header: 'RateLimit-Reset', period: 'monthly' },
  // "What the tool gets wrong" 8, §2 "Errors": a missing scope is 403 in one page, 401 in another.
  api_error_hints: [
    {
      status: [401, 403],
      message:
        'Livestorm answers 401 or 403 when the token lacks the scope (entity) this endpoint needs (its docs disagree which), ' +
        'as well as for a bad token (401) or a workspace support has not validated (403): check the scopes of the API token ' +
        '(identity, events, admin, webhooks) or of the OAuth app',
    },
  ],
  // §2 "API tokens (non-OAuth)": the raw token, no Bearer.
  static_credential: {
    format: 'API_TOKEN',
    scheme: 'raw',
    docs_url: 'https://developers.livestorm.co/docs/api-token-authentication',
  },
  // §2 "Pagination": JSON:API page[number] / page[size], meta.next_page.
  pagination: 'jsonapi_page',
  // §2 "Revoke / introspection" and "Uncertain": endpoints from third-party code only.
  unverified:
    'the authorization and token endpoints come from third-party integrations (amp-labs connectors), ' +
    "not from Livestorm's documentation; no revocation endpoint is confirmed",
})

/** Tidio: shared/providers.md §3. */
const tidio = (): ProviderConfig => ({
  display_name: 'Tidio (OpenAPI)',
  docs_url: 'https://developers.tidio.com/docs/openapi-authorization',
  // §3 "Documented auth for the public API": the OpenAPI key pair is the default login.
  default_login: 'static',
  static_credential: {
    format: 'CLIENT_ID:CLIENT_SECRET',
    scheme: 'header_pair',
    headers: ['X-Tidio-Openapi-Client-Id', 'X-Tidio-Openapi-Client-Secret'],
    docs_url: 'https://developers.tidio.com/docs/openapi-authorization',
  },
  // §3 "Required headers": without it Tidio answers 406 missing_api_version.
  api_headers: { Accept: 'application/json; version=1' },
  // §3 "API base".
  api_base_url: 'https://api.tidio.com',
  // §3 "`www.tidio.com/oauth/authorize` and `/oauth/token`"; "What the tool gets wrong" 3:
  // only with `login tidio --oauth`, spoken as the rollout.com guide does: JSON bodies
  // (axios), the client secret in the body.
  authorization_endpoint: 'https://www.tidio.com/oauth/authorize',
  token_endpoint: 'https://www.tidio.com/oauth/token',
  token_endpoint_auth_method: 'client_secret_post',
  token_request_encoding: 'json',
  redirect_uri: DEFAULT_REDIRECT_URI,
  // "What the tool gets wrong" 10, §3 "Errors" (third-party): the plan has no OpenAPI.
  api_error_hints: [
    {
      status: [403],
      body_field: 'errors.0.code',
      equals: 'api_access_disabled',
      message:
        "Tidio says this project's plan does not include the OpenAPI (api_access_disabled): it comes with the Plus and " +
        'Premium plans (Tidio Free has none; Starter/Growth only the Products endpoints)',
      // A login stores the same keys of the same project: only the plan changes the answer.
      hint:
        'logging in again cannot change this: upgrade the plan in the Tidio panel, ' +
        'or use the OpenAPI keys of a project whose plan includes it (oauth-cli login tidio --with-token --force)',
    },
  ],
  // §3 "Pagination": ?cursor=, meta.cursor null on the last page.
  pagination: 'cursor',
  // §3 and "Uncertain": no public OAuth.
  unverified:
    "the OAuth endpoints appear only in a third-party integration guide (rollout.com), not in Tidio's documentation; " +
    'they are used only with `login tidio --oauth`',
})

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const inner of Object.values(value)) {
    if (typeof inner === 'object' && inner !== null) deepFreeze(inner as object)
  }
  return Object.freeze(value)
}

/**
 * Built-in providers by name; frozen, so a merge can never change the catalog.
 * Each entry is made (and frozen) when first read: a fresh `token` reads one at
 * most, and making them all cost ~0.1 ms of every start.
 */
export const BUILT_IN_PROVIDERS: Readonly<Record<string, ProviderConfig>> = madeOnFirstRead({
  livechat,
  livestorm,
  // The local provider `oauth-cli sandbox` serves (default port); no account needed.
  sandbox: () => sandboxProviderConfig(),
  tidio,
})

/** A frozen record whose every value is `make()`'s, deep-frozen, made on its first read. */
function madeOnFirstRead<T extends object>(makers: Record<string, () => T>): Readonly<Record<string, T>> {
  const record: Record<string, T> = {}
  for (const [name, make] of Object.entries(makers)) {
    let made: Readonly<T> | undefined
    Object.defineProperty(record, name, { enumerable: true, get: () => (made ??= deepFreeze(make())) })
  }
  return Object.freeze(record)
}
