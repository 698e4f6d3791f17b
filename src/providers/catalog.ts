/**
 * The built-in providers, as plain data in the config-file shape (validated by
 * the same schema in tests). Facts and their sources: shared/providers.md.
 * A config entry with the same name overrides these field by field.
 */
import { sandboxProviderConfig } from '../sandbox/provider'
import type { ProviderConfig } from './types'

/**
 * Every built-in entry uses `http://localhost:3000/callback` as its default
 * redirect: the providers' own guides use it, and LiveChat matches the port
 * exactly, so a random loopback port would never be accepted.
 */
const DEFAULT_REDIRECT_URI = 'http://localhost:3000/callback'

/**
 * LiveChat / Text platform.
 * Sources: https://platform.text.com/docs/authorization/oauth-authorization (endpoints,
 * body client auth, DELETE revocation), https://platform.text.com/docs/authorization/personal-access-tokens
 * (Basic `account_id:PAT`), https://platform.text.com/docs/management/configuration-api (API base).
 */
const livechat: ProviderConfig = {
  display_name: 'LiveChat (Text platform)',
  docs_url: 'https://platform.text.com/docs/authorization/oauth-authorization',
  // The authorize endpoint really is the host root.
  authorization_endpoint: 'https://accounts.livechat.com/',
  // One URL for exchange and refresh (POST) and revocation (DELETE + Bearer).
  token_endpoint: 'https://accounts.livechat.com/v2/token',
  revocation_endpoint: 'https://accounts.livechat.com/v2/token',
  revocation_style: 'delete_bearer',
  api_base_url: 'https://api.livechatinc.com',
  // The secret goes in the body; HTTP Basic client auth is not documented.
  token_endpoint_auth_method: 'client_secret_post',
  token_request_encoding: 'form',
  redirect_uri: DEFAULT_REDIRECT_URI,
  // No default scope: the app's configured scopes apply, and the separator the
  // authorize endpoint expects (comma or space) is not settled.
  static_credential: {
    format: 'ACCOUNT_ID:PAT',
    scheme: 'basic',
    docs_url: 'https://platform.text.com/docs/authorization/personal-access-tokens',
  },
  pagination: 'next_page_id',
}

/**
 * Livestorm.
 * Sources: https://developers.livestorm.co/docs/oauth2-authentication (partner-only OAuth,
 * HTTPS redirect), https://developers.livestorm.co/docs/api-token-authentication (raw
 * `Authorization: <token>`), https://developers.livestorm.co/docs/pagination (JSON:API pages);
 * endpoints from https://github.com/amp-labs/connectors/blob/HEAD/providers/livestorm.go (third-party).
 */
const livestorm: ProviderConfig = {
  display_name: 'Livestorm',
  docs_url: 'https://developers.livestorm.co/docs/oauth2-authentication',
  authorization_endpoint: 'https://app.livestorm.co/oauth/authorize',
  token_endpoint: 'https://app.livestorm.co/oauth/token',
  api_base_url: 'https://api.livestorm.co/v1',
  token_endpoint_auth_method: 'client_secret_post',
  token_request_encoding: 'form',
  // Livestorm registers one HTTPS URL per app; the user overrides this with it,
  // which switches login to paste mode.
  redirect_uri: DEFAULT_REDIRECT_URI,
  static_credential: {
    format: 'API_TOKEN',
    scheme: 'raw',
    docs_url: 'https://developers.livestorm.co/docs/api-token-authentication',
  },
  pagination: 'jsonapi_page',
  unverified:
    'the authorization and token endpoints come from third-party integrations (amp-labs connectors), ' +
    "not from Livestorm's documentation; no revocation endpoint is confirmed",
}

/**
 * Tidio: documented access is the OpenAPI key pair in two headers, plus a
 * versioned Accept header on every request.
 * Sources: https://developers.tidio.com/docs/openapi-authorization, https://developers.tidio.com/docs/versioning,
 * https://developers.tidio.com/api/latest (cursor pagination); OAuth endpoints only from
 * https://rollout.com/integration-guides/tidio/how-to-build-a-public-tidio-integration-building-the-auth-flow (third-party).
 */
const tidio: ProviderConfig = {
  display_name: 'Tidio (OpenAPI)',
  docs_url: 'https://developers.tidio.com/docs/openapi-authorization',
  default_login: 'static',
  static_credential: {
    format: 'CLIENT_ID:CLIENT_SECRET',
    scheme: 'header_pair',
    headers: ['X-Tidio-Openapi-Client-Id', 'X-Tidio-Openapi-Client-Secret'],
    docs_url: 'https://developers.tidio.com/docs/openapi-authorization',
  },
  // Without it Tidio answers 406 missing_api_version.
  api_headers: { Accept: 'application/json; version=1' },
  api_base_url: 'https://api.tidio.com',
  authorization_endpoint: 'https://www.tidio.com/oauth/authorize',
  token_endpoint: 'https://www.tidio.com/oauth/token',
  token_endpoint_auth_method: 'client_secret_post',
  token_request_encoding: 'form',
  redirect_uri: DEFAULT_REDIRECT_URI,
  pagination: 'cursor',
  unverified:
    "the OAuth endpoints appear only in a third-party integration guide (rollout.com), not in Tidio's documentation; " +
    'they are used only with `login tidio --oauth`',
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const inner of Object.values(value)) {
    if (typeof inner === 'object' && inner !== null) deepFreeze(inner as object)
  }
  return Object.freeze(value)
}

/** Built-in providers by name; frozen, so a merge can never change the catalog. */
export const BUILT_IN_PROVIDERS: Readonly<Record<string, ProviderConfig>> = deepFreeze({
  livechat,
  livestorm,
  // The local provider `oauth-cli sandbox` serves (default port); no account needed.
  sandbox: sandboxProviderConfig(),
  tidio,
})
