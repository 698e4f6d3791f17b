/**
 * Validation of an authorization request, in the order RFC 6749 demands:
 * while the client or the redirect URI is in doubt the user gets an error
 * page and nothing is redirected; after that, errors go back to the client. Pure.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
import { SANDBOX_CLIENTS, type SandboxClient } from './clients'
import { SANDBOX_DEFAULT_SCOPE, SANDBOX_PASTE_REDIRECT_URI } from './provider'
import { isAllowedRedirectUri, isS256Challenge, parseScope } from './rules'
import type { AuthorizationRequest } from './state'

export type AuthorizeCheck =
  | { kind: 'ok'; request: AuthorizationRequest; client: SandboxClient }
  /** Shown to the user; never redirected (unknown client, missing or unregistered redirect URI). */
  | { kind: 'page_error'; message: string }
  /** Sent back to the client's (trusted) redirect URI. */
  | { kind: 'redirect_error'; redirectUri: string; state: string | undefined; error: string; description: string }

/** Parameters that, repeated, make the request ambiguous (RFC 6749 §3.1). */
const SINGLE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method']

/** Checks a `GET /authorize` query against the registered clients. */
export function checkAuthorizationRequest(
  query: URLSearchParams,
  clients: ReadonlyMap<string, SandboxClient> = SANDBOX_CLIENTS,
): AuthorizeCheck {
  const trusted = checkClientAndRedirect(query, clients)
  if (trusted.kind === 'page_error') return trusted
  const { client, redirectUri } = trusted
  const states = query.getAll('state')
  const state = states.length === 1 ? states[0] : undefined
  const back = (error: string, description: string): AuthorizeCheck => ({ kind: 'redirect_error', redirectUri, state, error, description })
  const repeated = SINGLE_PARAMS.find((name) => query.getAll(name).length > 1)
  if (repeated) return back('invalid_request', `${repeated} is repeated`)
  const responseType = query.get('response_type')
  if (!responseType) return back('invalid_request', 'response_type is required')
  if (responseType !== 'code') return back('unsupported_response_type', 'only response_type=code is supported')
  const pkce = checkPkceParams(query)
  if (pkce) return back('invalid_request', pkce)
  const rawScope = query.get('scope') || SANDBOX_DEFAULT_SCOPE
  const scope = parseScope(rawScope)
  if (!scope) return back('invalid_scope', 'the requested scope is unknown; known scopes: profile items:read offline_access')
  const codeChallenge = query.get('code_challenge') as string
  return { kind: 'ok', client, request: { clientId: client.client_id, redirectUri, state, scope, codeChallenge } }
}

function checkClientAndRedirect(
  query: URLSearchParams,
  clients: ReadonlyMap<string, SandboxClient>,
): { kind: 'trusted'; client: SandboxClient; redirectUri: string } | { kind: 'page_error'; message: string } {
  const page = (message: string) => ({ kind: 'page_error' as const, message })
  const ids = query.getAll('client_id')
  const uris = query.getAll('redirect_uri')
  if (ids.length !== 1 || !ids[0]) return page('The request must name exactly one client_id.')
  const client = clients.get(ids[0])
  if (!client) return page('The client named in this request is not registered with the sandbox.')
  // No client has a default: the redirect URI must be explicit to be trusted.
  if (uris.length !== 1 || !uris[0]) return page('The request must carry exactly one redirect_uri.')
  if (!isAllowedRedirectUri(uris[0])) {
    return page(`The redirect_uri is not registered: the sandbox only redirects to http loopback addresses (127.0.0.1, localhost, [::1]) and to ${SANDBOX_PASTE_REDIRECT_URI}.`)
  }
  return { kind: 'trusted', client, redirectUri: uris[0] }
}

/** @see https://www.rfc-editor.org/rfc/rfc7636#section-4.4.1 */
function checkPkceParams(query: URLSearchParams): string | undefined {
  const challenge = query.get('code_challenge')
  const method = query.get('code_challenge_method')
  if (!challenge) return 'code_challenge is required (PKCE with S256)'
  if (method !== 'S256') return 'code_challenge_method must be S256'
  if (!isS256Challenge(challenge)) return 'code_challenge is not a valid S256 challenge'
  return undefined
}

/**
 * The redirect URI with response parameters added to its own query, plus
 * `iss` so the client can tell which server answered.
 * @see https://www.rfc-editor.org/rfc/rfc9207#section-2
 */
export function buildRedirect(redirectUri: string, params: Record<string, string | undefined>, issuer: string): string {
  const url = new URL(redirectUri)
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(name, value)
  }
  url.searchParams.set('iss', issuer)
  return url.href
}
