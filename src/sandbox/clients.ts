/**
 * The sandbox's registered clients and client authentication at the token,
 * revocation and device authorization endpoints. Pure.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { SANDBOX_CLIENT_ID, SANDBOX_CONFIDENTIAL_CLIENT } from './provider'

export interface SandboxClient {
  client_id: string
  /** Absent for a public client, which authenticates with `client_id` alone (method `none`). */
  client_secret?: string
  /** Shown on consent pages. */
  name: string
}

/** The public client oauth-cli uses, and a confidential one for trying secret-based methods. */
export const SANDBOX_CLIENTS: ReadonlyMap<string, SandboxClient> = new Map([
  [SANDBOX_CLIENT_ID, { client_id: SANDBOX_CLIENT_ID, name: 'oauth-cli' }],
  [
    SANDBOX_CONFIDENTIAL_CLIENT.client_id,
    { ...SANDBOX_CONFIDENTIAL_CLIENT, name: 'oauth-cli (confidential client)' },
  ],
])

export type ClientAuthResult =
  | { ok: true; client: SandboxClient }
  | { ok: false; error: 'invalid_client' | 'invalid_request'; description: string; status: 400 | 401; basic: boolean }

/**
 * Authenticates the caller by exactly one method: HTTP Basic, `client_secret`
 * in the body, or (public clients) `client_id` alone.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (invalid_client, 401 with WWW-Authenticate)
 */
export function authenticateClient(
  authorization: string | undefined,
  params: URLSearchParams,
  clients: ReadonlyMap<string, SandboxClient> = SANDBOX_CLIENTS,
): ClientAuthResult {
  const basic = authorization !== undefined && /^basic /i.test(authorization)
  const bodyId = params.get('client_id') ?? undefined
  const bodySecret = params.get('client_secret') ?? undefined
  const refuse = (description: string, error: 'invalid_client' | 'invalid_request' = 'invalid_client'): ClientAuthResult =>
    ({ ok: false, error, description, status: error === 'invalid_client' ? 401 : 400, basic })
  if (basic && bodySecret !== undefined) return refuse('use one client authentication method, not two', 'invalid_request')
  if (basic) {
    const pair = decodeBasic(authorization.slice(6).trim())
    if (!pair) return refuse('the Authorization header is not valid Basic credentials')
    if (bodyId !== undefined && bodyId !== pair.id) return refuse('client_id does not match the Authorization header')
    return checkSecret(clients.get(pair.id), pair.secret, refuse)
  }
  if (bodyId === undefined) return refuse('client authentication is missing: send client_id')
  const client = clients.get(bodyId)
  if (bodySecret !== undefined) return checkSecret(client, bodySecret, refuse)
  if (!client) return refuse('the client is unknown')
  if (client.client_secret !== undefined) return refuse('this client must authenticate with its client secret')
  return { ok: true, client }
}

function checkSecret(
  client: SandboxClient | undefined,
  secret: string,
  refuse: (description: string) => ClientAuthResult,
): ClientAuthResult {
  if (!client) return refuse('the client is unknown')
  if (client.client_secret === undefined) return refuse('this is a public client: it has no secret to send')
  if (!sameSecret(secret, client.client_secret)) return refuse('the client secret is wrong')
  return { ok: true, client }
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before the Basic encoding. */
function decodeBasic(encoded: string): { id: string; secret: string } | undefined {
  const text = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = text.indexOf(':')
  if (colon < 1) return undefined
  try {
    const decode = (part: string): string => decodeURIComponent(part.replace(/\+/g, ' '))
    return { id: decode(text.slice(0, colon)), secret: decode(text.slice(colon + 1)) }
  } catch {
    return undefined
  }
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(given), digest(expected))
}
