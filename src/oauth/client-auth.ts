/**
 * Client authentication at the token endpoint, chosen once from
 * `token_endpoint_auth_method`: what goes into the Authorization header and
 * what into the body. A client without a secret is a public client whatever
 * the configured method, and identifies itself by `client_id` alone
 * (LiveChat's PKCE apps send no secret).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2.1
 */
import type { OAuthClient } from './types'

export interface ClientAuthentication {
  /** The Authorization header's value (client_secret_basic), if any. */
  authorization?: string
  /** Body fields, after the grant's own. */
  parameters: Record<string, string>
}

export function clientAuthentication(client: OAuthClient): ClientAuthentication {
  const secret = client.client_secret
  const method = client.token_endpoint_auth_method
  switch (method) {
    case 'client_secret_basic':
      return secret ? { authorization: basicAuthorization(client.client_id, secret), parameters: {} } : publicClient(client)
    case 'client_secret_post':
      return secret ? { parameters: { client_id: client.client_id, client_secret: secret } } : publicClient(client)
    case 'none':
      return publicClient(client)
    default: {
      const unknown: never = method
      throw new TypeError(`unknown token_endpoint_auth_method ${String(unknown)}`)
    }
  }
}

function publicClient(client: Pick<OAuthClient, 'client_id'>): ClientAuthentication {
  return { parameters: { client_id: client.client_id } }
}

/**
 * `Basic …` with RFC 6749 §2.3.1's form encoding of id and secret before
 * base64. Unlike oauth4webapi's, it leaves RFC 3986 unreserved characters
 * (`-._~`) as they are: a server that decodes sees the same values, and the
 * many servers that do not decode still accept the usual secrets made of them.
 */
export function basicAuthorization(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString('base64')}`
}

/** application/x-www-form-urlencoded for one value: `encodeURIComponent`, with a space as `+`. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}
