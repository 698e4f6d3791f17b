/**
 * Wire types keep the RFC's snake_case names; secrets are branded strings so that
 * a token cannot be passed where a plain string is printed without a cast.
 */
declare const brand: unique symbol
export type Brand<T, B extends string> = T & { readonly [brand]: B }

export type AccessToken = Brand<string, 'AccessToken'>
export type RefreshToken = Brand<string, 'RefreshToken'>
export type ClientSecret = Brand<string, 'ClientSecret'>
export type State = Brand<string, 'State'>
export type CodeVerifier = Brand<string, 'CodeVerifier'>
export type AuthorizationCode = Brand<string, 'AuthorizationCode'>
export type DeviceCode = Brand<string, 'DeviceCode'>

/** RFC 8414 authorization server metadata, the part this tool uses. */
export interface ServerMetadata {
  issuer: string
  authorization_endpoint?: string
  token_endpoint?: string
  revocation_endpoint?: string
  device_authorization_endpoint?: string
  code_challenge_methods_supported?: string[]
}

/** @see https://www.rfc-editor.org/rfc/rfc7591#section-2 */
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none'
export type TokenRequestEncoding = 'form' | 'json'

export interface OAuthClient {
  client_id: string
  client_secret?: ClientSecret
  token_endpoint_auth_method: TokenEndpointAuthMethod
}

/** A validated token endpoint response, with expiry made absolute. */
export interface TokenSet {
  access_token: AccessToken
  /** As sent by the provider, e.g. `Bearer`. */
  token_type: string
  refresh_token?: RefreshToken
  /** Absolute expiry, epoch milliseconds; absent when the provider sent no `expires_in`. */
  expires_at?: number
  /** Normalised to a list: LiveChat sends comma-separated scopes, RFC 6749 space-separated. */
  scope: string[]
  /** Other response fields worth keeping (LiveChat's organization_id, account_id, id_token). */
  extra: Record<string, unknown>
  /**
   * What was odd but not fatal in the answer, one sentence each (an unusable
   * `expires_in` taken as unknown). The tokens are already issued, so they are
   * kept; the caller says these on stderr.
   */
  notes?: string[]
}

export type Grant =
  | { grant_type: 'authorization_code'; code: AuthorizationCode; redirect_uri: string; code_verifier?: CodeVerifier }
  | { grant_type: 'refresh_token'; refresh_token: RefreshToken; scope?: string }
  | { grant_type: 'urn:ietf:params:oauth:grant-type:device_code'; device_code: DeviceCode }
  | { grant_type: 'client_credentials'; scope?: string }
