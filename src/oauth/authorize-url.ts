/**
 * The authorization request URL (RFC 6749 §4.1.1 with RFC 7636 PKCE). Pure.
 */
import type { State } from './types'

export interface AuthorizationRequest {
  client_id: string
  redirect_uri: string
  state: State
  code_challenge?: string
  code_challenge_method?: 'S256'
  /** Omitted from the URL when undefined or empty, so the provider applies the app's own scopes. */
  scope?: string
  /** Provider `authorization_params`, e.g. `prompt=consent`. They never replace a protocol parameter. */
  extra?: Record<string, string>
}

/**
 * Builds the URL the browser opens: `response_type=code` always, any query the
 * endpoint already has kept (RFC 6749 §3.1), and extra parameters added only
 * where they do not collide with the protocol's own (a config must not be able to
 * replace `state` or `redirect_uri`).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
 */
export function buildAuthorizationUrl(authorizationEndpoint: string, req: AuthorizationRequest): URL {
  const url = new URL(authorizationEndpoint)
  const params = url.searchParams
  const own: [string, string | undefined][] = [
    ['response_type', 'code'],
    ['client_id', req.client_id],
    ['redirect_uri', req.redirect_uri],
    ['state', req.state],
    ['code_challenge', req.code_challenge],
    ['code_challenge_method', req.code_challenge === undefined ? undefined : (req.code_challenge_method ?? 'S256')],
    ['scope', req.scope?.trim() ? req.scope.trim() : undefined],
  ]
  for (const [name, value] of own) {
    if (value !== undefined) params.set(name, value)
  }
  const reserved = new Set(own.filter(([, value]) => value !== undefined).map(([name]) => name))
  for (const [name, value] of Object.entries(req.extra ?? {})) {
    if (!reserved.has(name)) params.set(name, value)
  }
  return url
}
