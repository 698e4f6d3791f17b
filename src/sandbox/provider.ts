/**
 * What the rest of the tool needs to know about the sandbox without loading its
 * server: the default port, the client ids, the scopes, and the provider entry
 * (in the config-file shape) that points at a sandbox running on a given URL.
 * Pure data; importing this file starts nothing.
 */
import type { ProviderConfig } from '../providers/types'

/** The port `oauth-cli sandbox` listens on unless `--port` says otherwise. */
export const SANDBOX_DEFAULT_PORT = 8976

/** The sandbox's public client: no secret, PKCE S256 required. */
export const SANDBOX_CLIENT_ID = 'oauth-cli-sandbox'

/**
 * A confidential client for trying `client_secret_basic` / `client_secret_post`.
 * The secret is published on purpose: it opens nothing but a local sandbox.
 */
export const SANDBOX_CONFIDENTIAL_CLIENT = Object.freeze({
  client_id: 'oauth-cli-sandbox-confidential',
  client_secret: 'sandbox-secret',
})

/** Every scope the sandbox knows, with what the consent page says about it. */
export const SANDBOX_SCOPES: Readonly<Record<string, string>> = Object.freeze({
  profile: 'See your name and email address',
  'items:read': 'Read your items',
  offline_access: 'Stay signed in (refresh tokens)',
})

/** Granted when an authorization request names no scope. */
export const SANDBOX_DEFAULT_SCOPE = 'profile items:read offline_access'

/** Granted to a client credentials request that names no scope: no user, so nothing to stay signed in to. */
export const SANDBOX_CLIENT_CREDENTIALS_SCOPE = 'profile items:read'

/**
 * The one non-loopback redirect URI the sandbox's clients have registered, for
 * trying paste mode: after Allow, the browser lands on a page that does not load
 * (the `.example` name never resolves), and the address it shows is pasted into
 * the terminal, as with a provider whose app registers one HTTPS URL.
 */
export const SANDBOX_PASTE_REDIRECT_URI = 'https://paste.oauth-cli.example/callback'

/** Seconds an access token lives unless `sandbox --access-token-ttl` says otherwise: well above the 60 s refresh skew. */
export const SANDBOX_DEFAULT_ACCESS_TOKEN_TTL = 600

/** The sandbox's base URL on a port. */
export function sandboxUrl(port: number = SANDBOX_DEFAULT_PORT): string {
  return `http://127.0.0.1:${port}`
}

/** The sandbox's issuer and endpoints at `url`: what its metadata says and the built-in entry points at. */
export function sandboxEndpoints(url: string) {
  return {
    issuer: url,
    authorization_endpoint: `${url}/authorize`,
    token_endpoint: `${url}/token`,
    revocation_endpoint: `${url}/revoke`,
    device_authorization_endpoint: `${url}/device_authorization`,
  }
}

/**
 * The provider entry for a sandbox served at `url`: the built-in `sandbox`
 * provider is this at the default port, and a config-file override for another port.
 * The redirect URI's port 0 lets login pick a free port: the sandbox accepts any loopback one.
 * No token_endpoint_auth_method: the public client sends none, and with a secret
 * (`SANDBOX_CLIENT_SECRET` for the confidential client) it is client_secret_basic.
 */
export function sandboxProviderConfig(url: string = sandboxUrl()): ProviderConfig {
  return {
    display_name: 'oauth-cli sandbox (local)',
    ...sandboxEndpoints(url),
    api_base_url: `${url}/api`,
    client_id: SANDBOX_CLIENT_ID,
    token_request_encoding: 'form',
    scope: SANDBOX_DEFAULT_SCOPE,
    redirect_uri: 'http://127.0.0.1:0/callback',
    pagination: 'jsonapi_page',
    unreachable_hint: `is \`oauth-cli sandbox\` running? Start it in another terminal${url === sandboxUrl() ? '' : ` with --port ${new URL(url).port}`}`,
  }
}
