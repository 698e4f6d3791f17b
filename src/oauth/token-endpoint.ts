/**
 * The token endpoint: each grant is built and sent here (client authentication,
 * form or JSON body, endpoint checks) through our HttpClient, without
 * oauth4webapi or the fetch globals (touching `Headers`/`Response` loads
 * Node's bundled undici and its WebAssembly parser: see http/types.ts), so a
 * refresh can run in the start-up fast build. `interpretTokenResponse`
 * interprets the answer as a pure function of status, content type and body.
 */
import type { HttpClient, HttpResponse } from '../http/types'
import { describeResponse, failureFromRaw, parseObjectBody, readErrorBody, readResponse, type RawResponse } from './answers'
import { clientAuthentication } from './client-auth'
import { ProtocolError } from './errors'
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

/**
 * The send half: the grant's fields, then the client's (RFC 6749 §2.3.1), as a
 * form (§4.1.3, §6) or, with `json` encoding, the same fields as a JSON object.
 * Redirects are never followed: a token request is not re-sent elsewhere.
 * Resolves once the answer's head is in; its body is read under `signal` too.
 */
export async function sendTokenRequest(ctx: TokenEndpointContext, grant: Grant, signal?: AbortSignal): Promise<HttpResponse> {
  const url = tokenEndpointUrl(ctx.metadata.token_endpoint)
  const auth = clientAuthentication(ctx.client)
  const fields: Record<string, string> = { grant_type: grant.grant_type, ...grantParameters(grant), ...auth.parameters }
  const headers: Record<string, string> = { accept: 'application/json' }
  if (auth.authorization !== undefined) headers.authorization = auth.authorization
  let body: string | URLSearchParams
  if (ctx.encoding === 'json') {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(fields)
  } else {
    headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8'
    body = new URLSearchParams(fields)
  }
  return ctx.http(url, { method: 'POST', headers, body, redirect: 'manual', signal: signal ?? null })
}

/**
 * The endpoint as a URL, checked before anything is sent. Plain http: is let
 * through: the provider schema already restricts it to loopback hosts.
 */
function tokenEndpointUrl(value: string | undefined): string {
  if (value === undefined || value === '') throw new ProtocolError('missing_endpoint', 'no token_endpoint is configured or discovered')
  if (!URL.canParse(value)) throw new ProtocolError('missing_endpoint', 'token_endpoint is not a valid URL')
  const url = new URL(value)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ProtocolError('insecure_endpoint', 'token_endpoint must be an https: URL')
  }
  return url.href
}

/** The grant's own fields (RFC 6749 §4.1.3, §4.4.2, §6; RFC 8628 §3.4); every value a non-empty string. */
function grantParameters(grant: Grant): Record<string, string> {
  switch (grant.grant_type) {
    case 'authorization_code': {
      const params: Record<string, string> = { code: required(grant.code, 'code'), redirect_uri: grant.redirect_uri }
      if (grant.code_verifier !== undefined) params.code_verifier = grant.code_verifier
      return params
    }
    case 'refresh_token':
      return { refresh_token: required(grant.refresh_token, 'refresh_token'), ...scopeParameters(grant.scope) }
    case 'urn:ietf:params:oauth:grant-type:device_code':
      return { device_code: required(grant.device_code, 'device_code') }
    case 'client_credentials':
      return scopeParameters(grant.scope)
    default: {
      const unknown: never = grant
      throw new TypeError(`unknown grant ${JSON.stringify((unknown as { grant_type: unknown }).grant_type)}`)
    }
  }
}

/** A grant without its code or token is a bug upstream; nothing is sent (as oauth4webapi refused it). */
function required(value: string, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`the token request has no ${name}`)
  return value
}

function scopeParameters(scope: string | undefined): Record<string, string> {
  return scope ? { scope } : {}
}

/**
 * Interprets a token endpoint answer; usable on a fixture Response (or any HttpResponse).
 * A §5.2 error body at any status gives an OAuthError; anything else that is not
 * a usable §5.1 body gives a ProtocolError naming status and content type, never
 * the body. A TransportError never gets here: it comes from the send half.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export async function parseTokenResponse(response: HttpResponse, now: number, step: TokenStep, endpoint?: string): Promise<TokenSet> {
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
  const { access_token, refresh_token } = body
  if (refresh_token !== undefined && refresh_token !== null && typeof refresh_token !== 'string') {
    throw new ProtocolError('invalid_response', `${step} response has a refresh_token that is not a string (${describeResponse(raw)})`)
  }
  // A refresh token no request may carry is left out (the caller keeps the one it has, as for none); the token never shows.
  // An empty one is none at all (as null is), not one with bad characters.
  const badRefresh = typeof refresh_token === 'string' && refresh_token !== '' && !isTokenText(refresh_token)
  const good = typeof refresh_token === 'string' && refresh_token !== '' && !badRefresh ? (refresh_token as RefreshToken) : undefined
  // The server has issued (maybe rotated) tokens by now: whatever else makes the answer unusable, a good new refresh
  // token in it is handed on with the error (the one sent may be spent), for the caller to keep.
  // None at all (absent, null or empty, not one refused for its characters): nothing was issued in place of the one sent.
  const none = refresh_token === undefined || refresh_token === null || refresh_token === ''
  const refuse = (code: 'invalid_response' | 'unsupported_token_type', message: string): ProtocolError =>
    new ProtocolError(code, message, good === undefined ? { noRefreshToken: none } : { issued: { refresh_token: good } })
  const invalid = (what: string): ProtocolError => refuse('invalid_response', `${step} response ${what} (${describeResponse(raw)})`)
  if (typeof access_token !== 'string' || access_token === '') throw invalid('has no access_token')
  // Printed by `token` into a script's header, sent as a header by `call`: a CR LF would inject one.
  if (!isTokenText(access_token)) throw invalid(`has an access_token with ${NOT_TOKEN_TEXT}`)
  // An unusable lifetime is noted, never fatal.
  const expiresAt = readExpiresAt(body.expires_in, now)
  const scope = readScope(body.scope)
  if (scope === undefined) throw invalid('has a scope that is not a string')
  const tokenType = readTokenType(body.token_type)
  if (tokenType === undefined) {
    throw refuse('unsupported_token_type', `${step} response has token_type ${JSON.stringify(body.token_type)}; only Bearer is supported`)
  }
  const tokens: TokenSet = {
    access_token: access_token as AccessToken,
    token_type: tokenType,
    scope,
    extra: Object.fromEntries(Object.entries(body).filter(([name]) => !STANDARD_FIELDS.has(name))),
  }
  // A refresh answer without refresh_token: the caller keeps the one it has (RFC 6749 §6).
  if (good !== undefined) tokens.refresh_token = good
  const notes: string[] = []
  if (badRefresh) {
    notes.push(
      `the ${step} response has a refresh_token with ${NOT_TOKEN_TEXT}; it was left out` +
        (step === 'refresh' ? ' and the stored one kept (if the provider rotated it, the next refresh says invalid_grant: then log in)' : ': log in again once the access token expires'),
    )
  }
  if (typeof expiresAt === 'number') tokens.expires_at = expiresAt
  else if (expiresAt !== undefined) {
    notes.push(
      `the ${step} response's expires_in ${describeValue(body.expires_in)} is not a usable lifetime (${expiresAt.unusable}); ` +
        'the tokens were kept with an unknown expiry (refreshed when the API rejects them)',
    )
  }
  if (notes.length > 0) tokens.notes = notes
  return tokens
}

/** What is wrong with a token that is not {@link isTokenText}; the token itself is never shown. */
const NOT_TOKEN_TEXT = 'characters a token may not hold (RFC 6749 A.12, A.17: printable ASCII only, no line breaks or control characters)'

/**
 * RFC 6749 A.12 and A.17: `access-token = 1*VSCHAR`, `refresh-token = 1*VSCHAR`
 * (%x20-7E). Anything else could break out of the header it is sent in (CR LF)
 * or out of the line `token` prints.
 */
function isTokenText(value: string): boolean {
  return /^[\x20-\x7e]+$/.test(value)
}

/** A short, printable rendering of a server-chosen value (it may be anything). */
function describeValue(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? typeof value)
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
  return printable.length > 40 ? `${printable.slice(0, 40)}…` : printable
}

/**
 * Keeps the provider's spelling (`Bearer`, `bearer`); a missing type is taken as
 * Bearer. Any other type is refused (undefined): a client must not use a token
 * whose type it does not understand.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-7.1
 */
function readTokenType(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return 'Bearer'
  if (typeof value === 'string' && value.toLowerCase() === 'bearer') return value
  return undefined
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
