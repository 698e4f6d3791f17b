/**
 * The token endpoint: oauth4webapi builds and sends each grant (client
 * authentication, form body, endpoint checks); `parseTokenResponse` interprets the
 * answer as a pure function of status, content type and body.
 */
import * as oauth from 'oauth4webapi'
import type { HttpClient } from '../http/types'
import { ProtocolError } from './errors'
import {
  describeResponse,
  failureFromRaw,
  mapRequestError,
  parseObjectBody,
  readErrorBody,
  readResponse,
  requestOptions,
  toAuthorizationServer,
  toClient,
  toClientAuth,
  type RawResponse,
} from './oauth4'
import type { AccessToken, Grant, OAuthClient, RefreshToken, ServerMetadata, TokenRequestEncoding, TokenSet } from './types'

export interface TokenEndpointContext {
  /** `issuer` and `token_endpoint` are required here. */
  metadata: ServerMetadata
  client: OAuthClient
  /** `form` (RFC 6749) or `json` (the same fields as a JSON object). */
  encoding: TokenRequestEncoding
  http: HttpClient
  /** Epoch milliseconds, for `expires_at`. */
  now: () => number
}

/** The step named in errors; `OAuthError.step` carries it. */
export type TokenStep = 'token' | 'refresh' | 'device' | 'client_credentials'

/**
 * Sends a grant to the token endpoint and returns the validated tokens.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.4
 */
export async function requestToken(ctx: TokenEndpointContext, grant: Grant, signal?: AbortSignal): Promise<TokenSet> {
  // The signal bounds the whole exchange, body included: the HttpClient reads the body under it.
  const response = await sendTokenRequest(ctx, grant, signal)
  return parseTokenResponse(response, ctx.now(), stepOf(grant), ctx.metadata.token_endpoint)
}

/** Which step a grant is, for error messages. */
export function stepOf(grant: Grant): TokenStep {
  switch (grant.grant_type) {
    case 'authorization_code':
      return 'token'
    case 'refresh_token':
      return 'refresh'
    case 'urn:ietf:params:oauth:grant-type:device_code':
      return 'device'
    case 'client_credentials':
      return 'client_credentials'
    default: {
      const unknown: never = grant
      throw new TypeError(`unknown grant ${JSON.stringify((unknown as { grant_type: unknown }).grant_type)}`)
    }
  }
}

/** The send half: the request goes out through oauth4webapi and our HttpClient. */
export async function sendTokenRequest(ctx: TokenEndpointContext, grant: Grant, signal?: AbortSignal): Promise<Response> {
  const as = toAuthorizationServer(ctx.metadata)
  const client = toClient(ctx.client)
  const auth = toClientAuth(ctx.client)
  const options = requestOptions(ctx.http, ctx.encoding, signal)
  try {
    switch (grant.grant_type) {
      case 'authorization_code':
        // Our Grant carries the code itself (validated earlier by validateCallback),
        // so the generic request sends what authorizationCodeGrantRequest would.
        return await oauth.genericTokenEndpointRequest(as, client, auth, 'authorization_code', codeParameters(grant), options)
      case 'refresh_token':
        return await oauth.refreshTokenGrantRequest(as, client, auth, grant.refresh_token, {
          ...options,
          additionalParameters: scopeParameters(grant.scope),
        })
      case 'urn:ietf:params:oauth:grant-type:device_code':
        return await oauth.deviceCodeGrantRequest(as, client, auth, grant.device_code, options)
      case 'client_credentials':
        return await oauth.clientCredentialsGrantRequest(as, client, auth, scopeParameters(grant.scope), options)
      default: {
        const unknown: never = grant
        throw new TypeError(`unknown grant ${JSON.stringify(unknown)}`)
      }
    }
  } catch (err) {
    throw mapRequestError(err, 'token_endpoint')
  }
}

function codeParameters(grant: Extract<Grant, { grant_type: 'authorization_code' }>): Record<string, string> {
  const params: Record<string, string> = { code: grant.code, redirect_uri: grant.redirect_uri }
  if (grant.code_verifier !== undefined) params.code_verifier = grant.code_verifier
  return params
}

function scopeParameters(scope: string | undefined): Record<string, string> {
  return scope ? { scope } : {}
}

/**
 * Interprets a token endpoint answer; usable on a fixture Response.
 * A §5.2 error body at any status gives an OAuthError; anything else that is not
 * a usable §5.1 body gives a ProtocolError naming status and content type, never
 * the body. A TransportError never gets here: it comes from the send half.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export async function parseTokenResponse(response: Response, now: number, step: TokenStep, endpoint?: string): Promise<TokenSet> {
  return interpretTokenResponse({ ...(await readResponse(response)), ...(endpoint ? { url: endpoint } : {}) }, now, step)
}

/** The pure half of `parseTokenResponse`. */
export function interpretTokenResponse(raw: RawResponse, now: number, step: TokenStep): TokenSet {
  if (raw.status < 200 || raw.status > 299) throw failureFromRaw(step, raw)
  const body = parseObjectBody(raw)
  if (body === undefined) {
    throw new ProtocolError('not_json', `${step} response is not a JSON object (${describeResponse(raw)})`)
  }
  // Some servers (GitHub's device flow among them) answer errors with 200.
  if (readErrorBody(body) && body.access_token === undefined) throw failureFromRaw(step, raw)
  return toTokenSet(body, now, step, raw)
}

const STANDARD_FIELDS = new Set(['access_token', 'refresh_token', 'token_type', 'expires_in', 'scope'])

function toTokenSet(body: Record<string, unknown>, now: number, step: TokenStep, raw: RawResponse): TokenSet {
  const invalid = (what: string): ProtocolError =>
    new ProtocolError('invalid_response', `${step} response ${what} (${describeResponse(raw)})`)
  const { access_token, refresh_token } = body
  if (typeof access_token !== 'string' || access_token === '') throw invalid('has no access_token')
  if (refresh_token !== undefined && refresh_token !== null && typeof refresh_token !== 'string') {
    throw invalid('has a refresh_token that is not a string')
  }
  // The server has issued (maybe rotated) tokens by now: an unusable lifetime is noted, never fatal.
  const expiresAt = readExpiresAt(body.expires_in, now)
  const scope = readScope(body.scope)
  if (scope === undefined) throw invalid('has a scope that is not a string')
  const tokens: TokenSet = {
    access_token: access_token as AccessToken,
    token_type: readTokenType(body.token_type, step),
    scope,
    extra: Object.fromEntries(Object.entries(body).filter(([name]) => !STANDARD_FIELDS.has(name))),
  }
  // A refresh answer without refresh_token: the caller keeps the one it has (RFC 6749 §6).
  if (typeof refresh_token === 'string' && refresh_token !== '') tokens.refresh_token = refresh_token as RefreshToken
  if (typeof expiresAt === 'number') tokens.expires_at = expiresAt
  else if (expiresAt !== undefined) {
    tokens.notes = [
      `the ${step} response's expires_in ${describeValue(body.expires_in)} is not a usable lifetime (${expiresAt.unusable}); ` +
        'the tokens were kept with an unknown expiry (refreshed when the API rejects them)',
    ]
  }
  return tokens
}

/** A short, printable rendering of a server-chosen value (it may be anything). */
function describeValue(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? typeof value)
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
  return printable.length > 40 ? `${printable.slice(0, 40)}…` : printable
}

/**
 * Keeps the provider's spelling (`Bearer`, `bearer`); a missing type is taken as
 * Bearer. Any other type is refused: a client must not use a token whose type it
 * does not understand.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-7.1
 */
function readTokenType(value: unknown, step: TokenStep): string {
  if (value === undefined || value === null || value === '') return 'Bearer'
  if (typeof value === 'string' && value.toLowerCase() === 'bearer') return value
  throw new ProtocolError('unsupported_token_type', `${step} response has token_type ${JSON.stringify(value)}; only Bearer is supported`)
}

/** The latest instant a Date can hold (ECMA-262 §21.4.1.1): beyond it toISOString throws. */
const MAX_DATE_MS = 8.64e15

/** Absolute expiry in ms; undefined when absent; `unusable` (why) for a value no date can be made of. */
function readExpiresAt(value: unknown, now: number): number | undefined | { unusable: string } {
  if (value === undefined || value === null || value === '') return undefined
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return { unusable: 'not a number' }
  if (seconds < 0) return { unusable: 'negative' }
  const at = now + Math.round(seconds * 1000)
  if (!Number.isSafeInteger(at) || at > MAX_DATE_MS) return { unusable: 'beyond any date' }
  return at
}

/** LiveChat separates scopes with commas, RFC 6749 §3.3 with spaces; some servers send a list. */
function readScope(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return []
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((s) => s !== '')
  if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return value.filter((s) => s !== '')
  return undefined
}
