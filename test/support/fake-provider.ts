/**
 * A small but real OAuth 2.0 authorization server plus a protected API, served
 * in-process on 127.0.0.1 with node:http, for the end-to-end tests. It does the
 * standard things strictly (single-use codes, PKCE S256, redirect_uri equality,
 * client authentication, refresh rotation with reuse detection, RFC 7009
 * revocation) and the built-in providers' quirks on request (comma-separated
 * scopes, region-prefixed tokens, LiveChat's `DELETE /v2/token`, static
 * credentials), and it can inject faults into the next token request.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749
 * @see https://www.rfc-editor.org/rfc/rfc7636
 * @see https://www.rfc-editor.org/rfc/rfc7009
 * @see https://www.rfc-editor.org/rfc/rfc8628
 * @see https://www.rfc-editor.org/rfc/rfc8414
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type ClientAuth = 'client_secret_basic' | 'client_secret_post' | 'none'
export type StaticCredentialKind = 'basic' | 'raw' | 'bearer' | 'header_pair'
export type TokenFault = { status: number; body?: string; headers?: Record<string, string> } | 'reset' | 'hang'
/**
 * A fault for API requests: a canned answer, or `reset` (socket destroyed, no answer), `hang` (no answer ever),
 * `truncate` (a 200 whose body stops short of its Content-Length, then the socket is destroyed),
 * `stall` (a 200 whose body starts and never finishes).
 */
export type ApiFault = TokenFault | 'truncate' | 'stall'

export interface FakeProviderOptions {
  /** Default `test-client`. */
  clientId?: string
  /** Default `test-secret-<random>`. */
  clientSecret?: string
  /** What the token endpoint requires. Default `client_secret_basic`. */
  clientAuth?: ClientAuth
  /** Default true: each refresh issues a new refresh token and invalidates the old one. */
  rotateRefreshTokens?: boolean
  /** Default true: presenting an already-rotated refresh token revokes the whole grant. */
  revokeGrantOnReuse?: boolean
  /** Seconds. Default 3600. */
  accessTokenTtl?: number
  /** How `scope` is joined in token responses. Default ' '; ',' mimics LiveChat. */
  scopeSeparator?: ' ' | ','
  /** Token responses leave `scope` out (RFC 6749 §5.1: OPTIONAL when it is the scope requested). */
  omitScope?: boolean
  /** Prefix for access tokens and codes, e.g. `dal:` to mimic LiveChat regions. */
  tokenPrefix?: string
  /** Added to every token response, e.g. `{ organization_id, account_id }`. */
  extraTokenFields?: Record<string, unknown>
  /** What body encodings the token endpoint accepts. Default `either`. */
  tokenEncoding?: 'form' | 'json' | 'either'
  /** What `GET /authorize` (and device approval) does. Default `approve`. */
  authorizeDecision?: 'approve' | 'deny'
  /** Default true, S256 only. */
  requirePkce?: boolean
  /** Granted when the authorize request names no scope. Default `['read', 'write']`. */
  defaultScope?: string[]
  /** Device flow polling interval in seconds. Default 1 (RFC 8628 says 5; tests want speed). */
  deviceInterval?: number
  /** Device code lifetime (`expires_in`) in seconds. Default 300. */
  deviceCodeTtl?: number
}

export interface RecordedRequest {
  method: string
  /** The path without the query string. */
  path: string
  /** The request target as received, query string included. */
  url: string
  /** Lower-cased names; repeated headers joined with `, `. */
  headers: Record<string, string>
  body: string
}

export interface FakeProvider {
  /** `http://127.0.0.1:PORT` */
  url: string
  /** Same as `url`; serves `/.well-known/oauth-authorization-server`. */
  issuer: string
  clientId: string
  clientSecret: string
  /** Everything received, in order. */
  requests: RecordedRequest[]
  setDecision(decision: 'approve' | 'deny'): void
  /** Applies to the next token request only (or the next `count`; `Infinity` for all). */
  injectTokenFault(fault: TokenFault, count?: number): void
  /**
   * The next token request is processed when it arrives (a refresh rotates: the
   * refresh token sent is spent) but its answer is held until `release()`.
   */
  holdNextTokenAnswer(): { release(): void }
  /** Applies to the next `count` API requests (default 1; `Infinity` for all), before the credential is checked. */
  injectApiFault(fault: ApiFault, count?: number): void
  /** Makes every access token issued so far invalid at the API (not in the client's eyes). */
  expireAllAccessTokens(): void
  /** The lifetime (seconds) of access tokens issued from now on. */
  setAccessTokenTtl(seconds: number): void
  /** Revokes every grant: their refresh and access tokens stop working. */
  revokeAllGrants(): void
  issuedAccessTokens(): string[]
  issuedRefreshTokens(): string[]
  issuedCodes(): string[]
  /** Whether a token issued here would be accepted now (no side effects, unlike presenting it). */
  isTokenActive(token: string): boolean
  /** Registers a static credential the API accepts (see `StaticCredentialKind`). */
  addStaticCredential(kind: StaticCredentialKind, value: string): void
  /** Approves (or denies, per the decision) every pending device authorization. */
  decidePendingDevices(): number
  /** Resolves with the first request (past or future) matching `predicate`. */
  waitForRequest(predicate: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>
  close(): Promise<void>
}

interface Grant {
  id: number
  scope: string[]
  revoked: boolean
}
interface AccessRecord {
  grant: Grant
  expiresAt: number
  revoked: boolean
}
interface RefreshRecord {
  grant: Grant
  rotated: boolean
  revoked: boolean
}
interface CodeRecord {
  grant: Grant
  redirectUri: string
  clientId: string
  challenge: string | undefined
  used: boolean
  expiresAt: number
}
interface DeviceRecord {
  deviceCode: string
  userCode: string
  scope: string[]
  status: 'pending' | 'approved' | 'denied' | 'spent'
  expiresAt: number
}

type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'reset' | 'hang' | 'truncate' | 'stall'

class OAuthFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${error}: ${description}`)
  }
}

const CODE_TTL_MS = 60_000
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

function random(prefix = ''): string {
  return prefix + randomBytes(18).toString('base64url')
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(value),
  }
}

function oauthError(failure: OAuthFailure): Reply {
  return json(failure.status, { error: failure.error, error_description: failure.description }, failure.headers)
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}

/** A loopback `http:` URL (any port) or any `https:` URL, as RFC 8252 §7.3 allows. */
function isAcceptableRedirect(raw: string | null): raw is string {
  if (!raw) return false
  try {
    const url = new URL(raw)
    if (url.hash) return false
    if (url.protocol === 'https:') return true
    return url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)
  } catch {
    return false
  }
}

function splitScope(raw: string | null | undefined): string[] {
  return (raw ?? '').split(/[\s,]+/).filter(Boolean)
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

/** Parses a token/revoke/device request body as form or JSON, per what the endpoint accepts. */
function parseParams(rec: RecordedRequest, accepted: 'form' | 'json' | 'either'): Map<string, string> {
  const type = (rec.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  const isJson = type === 'application/json'
  const isForm = type === 'application/x-www-form-urlencoded'
  if ((isJson && accepted === 'form') || (isForm && accepted === 'json') || (!isJson && !isForm)) {
    throw new OAuthFailure(400, 'invalid_request', `unsupported content type ${type || '(none)'}`)
  }
  if (isForm) return new Map(new URLSearchParams(rec.body))
  let parsed: unknown
  try {
    parsed = JSON.parse(rec.body)
  } catch {
    throw new OAuthFailure(400, 'invalid_request', 'malformed JSON body')
  }
  if (typeof parsed !== 'object' || parsed === null) throw new OAuthFailure(400, 'invalid_request', 'body is not an object')
  const out = new Map<string, string>()
  for (const [k, v] of Object.entries(parsed)) if (v !== undefined && v !== null) out.set(k, String(v))
  return out
}

/** Reads `Authorization: Basic` client credentials, form-urlencoded per RFC 6749 §2.3.1. */
function readBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '')
  if (!m) return undefined
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8')
  const at = decoded.indexOf(':')
  if (at < 0) return undefined
  const unescape = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '))
    } catch {
      return s
    }
  }
  return { id: unescape(decoded.slice(0, at)), secret: unescape(decoded.slice(at + 1)) }
}

/** The server state and its endpoint handlers; `startFakeProvider` wires it to HTTP. */
class ProviderState {
  readonly requests: RecordedRequest[] = []
  readonly clientId: string
  readonly clientSecret: string
  decision: 'approve' | 'deny'
  fault: TokenFault | undefined
  faultsLeft = 0
  /** Set by holdNextTokenAnswer: the next token answer waits for it. */
  tokenAnswerHold: Promise<void> | undefined
  apiFault: { fault: ApiFault; remaining: number } | undefined
  private nextGrantId = 1
  private readonly codes = new Map<string, CodeRecord>()
  private readonly access = new Map<string, AccessRecord>()
  private readonly refresh = new Map<string, RefreshRecord>()
  private readonly devices = new Map<string, DeviceRecord>()
  private readonly statics = new Set<string>()
  private readonly waiters = new Set<(r: RecordedRequest) => void>()
  baseUrl = ''

  constructor(readonly opts: FakeProviderOptions) {
    // A copy: setAccessTokenTtl changes it, never the caller's object.
    this.opts = { ...opts }
    this.clientId = opts.clientId ?? 'test-client'
    this.clientSecret = opts.clientSecret ?? random('test-secret-')
    this.decision = opts.authorizeDecision ?? 'approve'
  }

  record(rec: RecordedRequest): void {
    this.requests.push(rec)
    for (const w of this.waiters) w(rec)
  }

  waitForRequest(predicate: (r: RecordedRequest) => boolean, timeoutMs: number): Promise<RecordedRequest> {
    const seen = this.requests.find(predicate)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const done = (r: RecordedRequest): void => {
        if (!predicate(r)) return
        clearTimeout(timer)
        this.waiters.delete(done)
        resolve(r)
      }
      const timer = setTimeout(() => {
        this.waiters.delete(done)
        reject(new Error(`fake provider: no matching request within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiters.add(done)
    })
  }

  route(rec: RecordedRequest): Reply {
    const { method, path } = rec
    try {
      if (method === 'GET' && path === '/.well-known/oauth-authorization-server') return json(200, this.metadata())
      if (method === 'GET' && path === '/authorize') return this.authorize(new URL(rec.url, this.baseUrl).searchParams)
      if (method === 'POST' && (path === '/token' || path === '/v2/token')) return this.tokenEndpoint(rec)
      if (method === 'POST' && path === '/revoke') return this.revokeRfc7009(rec)
      if (method === 'DELETE' && path === '/v2/token') return this.revokeDeleteBearer(rec)
      if (method === 'POST' && path === '/device') return this.deviceAuthorization(rec)
      if (method === 'GET' && path === '/device/verify') return this.deviceVerify(new URL(rec.url, this.baseUrl).searchParams)
      if (path === '/api' || path.startsWith('/api/')) return this.takeApiFault() ?? this.api(rec)
      return json(404, { error: 'not_found' })
    } catch (err) {
      if (err instanceof OAuthFailure) return oauthError(err)
      throw err
    }
  }

  metadata(): Record<string, unknown> {
    const u = this.baseUrl
    return {
      issuer: u,
      authorization_endpoint: `${u}/authorize`,
      token_endpoint: `${u}/token`,
      revocation_endpoint: `${u}/revoke`,
      device_authorization_endpoint: `${u}/device`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token', DEVICE_GRANT],
      token_endpoint_auth_methods_supported: [this.opts.clientAuth ?? 'client_secret_basic'],
      code_challenge_methods_supported: ['S256'],
    }
  }

  /** @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1 */
  authorize(q: URLSearchParams): Reply {
    const redirectUri = q.get('redirect_uri')
    // Errors about the client or the redirect URI must not redirect (RFC 6749 §4.1.2.1).
    if (q.get('client_id') !== this.clientId) return page(400, 'unknown client_id')
    if (!isAcceptableRedirect(redirectUri)) return page(400, 'redirect_uri missing or not loopback/https')
    const target = new URL(redirectUri)
    const state = q.get('state')
    const fail = (error: string, description: string): Reply => {
      target.searchParams.append('error', error)
      target.searchParams.append('error_description', description)
      if (state !== null) target.searchParams.append('state', state)
      return { status: 302, headers: { location: target.href }, body: '' }
    }
    if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'only response_type=code')
    const challenge = q.get('code_challenge') ?? undefined
    const method = q.get('code_challenge_method')
    if (challenge !== undefined && method !== 'S256') return fail('invalid_request', 'only S256 is supported')
    if (challenge === undefined && (this.opts.requirePkce ?? true)) return fail('invalid_request', 'PKCE required')
    if (this.decision === 'deny') return fail('access_denied', 'The resource owner denied the request')
    const scope = splitScope(q.get('scope'))
    const grant = this.newGrant(scope.length ? scope : (this.opts.defaultScope ?? ['read', 'write']))
    const code = random(`${this.opts.tokenPrefix ?? ''}code_`)
    this.codes.set(code, {
      grant, redirectUri, clientId: this.clientId, challenge, used: false, expiresAt: Date.now() + CODE_TTL_MS,
    })
    target.searchParams.append('code', code)
    if (state !== null) target.searchParams.append('state', state)
    return { status: 302, headers: { location: target.href }, body: '' }
  }

  takeApiFault(): Reply | undefined {
    const pending = this.apiFault
    if (!pending) return undefined
    if (--pending.remaining <= 0) this.apiFault = undefined
    const { fault } = pending
    if (typeof fault === 'string') return fault
    return { status: fault.status, headers: fault.headers ?? {}, body: fault.body ?? '' }
  }

  /** @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2 */
  tokenEndpoint(rec: RecordedRequest): Reply {
    const fault = this.fault
    if (--this.faultsLeft <= 0) this.fault = undefined
    if (fault === 'reset' || fault === 'hang') return fault
    if (fault) return { status: fault.status, headers: fault.headers ?? {}, body: fault.body ?? '' }
    const params = parseParams(rec, this.opts.tokenEncoding ?? 'either')
    this.authenticateClient(rec, params)
    switch (params.get('grant_type')) {
      case 'authorization_code':
        return this.exchangeCode(params)
      case 'refresh_token':
        return this.refreshGrant(params)
      case DEVICE_GRANT:
        return this.deviceGrant(params)
      case 'client_credentials':
        return this.clientCredentialsGrant(params)
      default:
        throw new OAuthFailure(400, 'unsupported_grant_type', 'grant_type not supported')
    }
  }

  /** @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1 */
  authenticateClient(rec: RecordedRequest, params: Map<string, string>): void {
    const mode = this.opts.clientAuth ?? 'client_secret_basic'
    const basic = readBasic(rec.headers.authorization)
    const bad = (why: string): OAuthFailure =>
      new OAuthFailure(401, 'invalid_client', why, mode === 'client_secret_basic' ? { 'www-authenticate': 'Basic realm="fake"' } : {})
    if (mode === 'client_secret_basic') {
      if (!basic) throw bad('client authentication with HTTP Basic required')
      if (params.has('client_secret')) throw bad('more than one client authentication method')
      if (basic.id !== this.clientId || !safeEqual(basic.secret, this.clientSecret)) throw bad('bad client credentials')
      if (params.has('client_id') && params.get('client_id') !== this.clientId) throw bad('client_id mismatch')
      return
    }
    if (basic) throw bad(`client authentication must be ${mode}`)
    if (params.get('client_id') !== this.clientId) throw bad('unknown client_id')
    if (mode === 'client_secret_post' && !safeEqual(params.get('client_secret') ?? '', this.clientSecret)) {
      throw bad('bad client credentials')
    }
  }

  /** @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3 and RFC 7636 §4.6 */
  exchangeCode(params: Map<string, string>): Reply {
    const code = params.get('code') ?? ''
    const rec = this.codes.get(code)
    if (!rec || rec.expiresAt < Date.now()) throw new OAuthFailure(400, 'invalid_grant', 'unknown or expired code')
    if (rec.used) {
      // A replayed code revokes what it produced (RFC 6749 §4.1.2).
      this.revokeGrant(rec.grant)
      throw new OAuthFailure(400, 'invalid_grant', 'code already used')
    }
    rec.used = true
    if (params.get('redirect_uri') !== rec.redirectUri) throw new OAuthFailure(400, 'invalid_grant', 'redirect_uri mismatch')
    const verifier = params.get('code_verifier')
    if (rec.challenge !== undefined) {
      if (!verifier || !/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) throw new OAuthFailure(400, 'invalid_grant', 'bad code_verifier')
      if (!safeEqual(s256(verifier), rec.challenge)) throw new OAuthFailure(400, 'invalid_grant', 'PKCE verification failed')
    } else if (verifier) {
      throw new OAuthFailure(400, 'invalid_grant', 'code_verifier without code_challenge')
    }
    return json(200, this.issueTokens(rec.grant, true))
  }

  /** @see https://www.rfc-editor.org/rfc/rfc6749#section-6 and RFC 9700 §4.14.2 */
  refreshGrant(params: Map<string, string>): Reply {
    const rec = this.refresh.get(params.get('refresh_token') ?? '')
    if (!rec || rec.revoked || rec.grant.revoked) throw new OAuthFailure(400, 'invalid_grant', 'refresh token invalid or revoked')
    if (rec.rotated) {
      if (this.opts.revokeGrantOnReuse ?? true) this.revokeGrant(rec.grant)
      throw new OAuthFailure(400, 'invalid_grant', 'refresh token already used')
    }
    const rotate = this.opts.rotateRefreshTokens ?? true
    if (rotate) rec.rotated = true
    // Without rotation the response omits refresh_token (RFC 6749 §6 "MAY issue"): the client must keep its own.
    return json(200, this.issueTokens(rec.grant, rotate))
  }

  issueTokens(grant: Grant, withRefresh: boolean): Record<string, unknown> {
    const ttl = this.opts.accessTokenTtl ?? 3600
    const accessToken = random(`${this.opts.tokenPrefix ?? ''}at_`)
    this.access.set(accessToken, { grant, expiresAt: Date.now() + ttl * 1000, revoked: false })
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ttl,
      ...(this.opts.omitScope ? {} : { scope: grant.scope.join(this.opts.scopeSeparator ?? ' ') }),
      ...this.opts.extraTokenFields,
    }
    if (withRefresh) {
      const refreshToken = random('rt_')
      this.refresh.set(refreshToken, { grant, rotated: false, revoked: false })
      body.refresh_token = refreshToken
    }
    return body
  }

  newGrant(scope: string[]): Grant {
    return { id: this.nextGrantId++, scope, revoked: false }
  }

  revokeGrant(grant: Grant): void {
    grant.revoked = true
  }

  revokeAllGrants(): void {
    for (const r of [...this.access.values(), ...this.refresh.values()]) this.revokeGrant(r.grant)
    for (const c of this.codes.values()) this.revokeGrant(c.grant)
  }

  /** Revokes a token; a refresh token takes its whole grant along (RFC 7009 §2.1). */
  revokeToken(token: string): boolean {
    const rt = this.refresh.get(token)
    if (rt) {
      rt.revoked = true
      this.revokeGrant(rt.grant)
      return true
    }
    const at = this.access.get(token)
    if (at) at.revoked = true
    return at !== undefined
  }

  /** @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2 (200 whatever the token) */
  revokeRfc7009(rec: RecordedRequest): Reply {
    const params = parseParams(rec, 'either')
    const token = params.get('token')
    if (!token) throw new OAuthFailure(400, 'invalid_request', 'token is required')
    this.revokeToken(token)
    return { status: 200, headers: {}, body: '' }
  }

  /** LiveChat: `DELETE /v2/token` with the token as Bearer (or `?code=`); revokes the pair. */
  revokeDeleteBearer(rec: RecordedRequest): Reply {
    const bearer = /^Bearer\s+(\S+)$/i.exec(rec.headers.authorization ?? '')?.[1]
    const token = bearer ?? new URL(rec.url, this.baseUrl).searchParams.get('code') ?? ''
    const grant = this.access.get(token)?.grant ?? this.refresh.get(token)?.grant
    if (!grant) return json(404, { error: 'not_found', error_description: 'token not found' })
    this.revokeToken(token)
    this.revokeGrant(grant)
    return json(200, {})
  }

  /** @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2 */
  deviceAuthorization(rec: RecordedRequest): Reply {
    const params = parseParams(rec, 'either')
    if (params.get('client_id') !== this.clientId && readBasic(rec.headers.authorization)?.id !== this.clientId) {
      throw new OAuthFailure(401, 'invalid_client', 'unknown client')
    }
    const scope = splitScope(params.get('scope'))
    const deviceCode = random('dc_')
    const userCode = `${randomLetters(4)}-${randomLetters(4)}`
    const expiresIn = this.opts.deviceCodeTtl ?? 300
    this.devices.set(deviceCode, {
      deviceCode, userCode, scope: scope.length ? scope : (this.opts.defaultScope ?? ['read', 'write']),
      status: 'pending', expiresAt: Date.now() + expiresIn * 1000,
    })
    const verificationUri = `${this.baseUrl}/device/verify`
    return json(200, {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${userCode}`,
      expires_in: expiresIn,
      interval: this.opts.deviceInterval ?? 1,
    })
  }

  /** The page a user opens to approve a device: decides per the current decision. */
  deviceVerify(q: URLSearchParams): Reply {
    const device = [...this.devices.values()].find((d) => d.userCode === q.get('user_code'))
    if (!device || device.status !== 'pending') return page(400, 'unknown or used user code')
    device.status = this.decision === 'approve' ? 'approved' : 'denied'
    return page(200, `device ${device.status}`)
  }

  decidePendingDevices(): number {
    let n = 0
    for (const d of this.devices.values()) {
      if (d.status !== 'pending') continue
      d.status = this.decision === 'approve' ? 'approved' : 'denied'
      n++
    }
    return n
  }

  /** @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5 */
  deviceGrant(params: Map<string, string>): Reply {
    const d = this.devices.get(params.get('device_code') ?? '')
    if (!d || d.status === 'spent') throw new OAuthFailure(400, 'invalid_grant', 'unknown device code')
    if (d.expiresAt < Date.now()) throw new OAuthFailure(400, 'expired_token', 'device code expired')
    if (d.status === 'denied') throw new OAuthFailure(400, 'access_denied', 'The user denied the request')
    if (d.status === 'pending') throw new OAuthFailure(400, 'authorization_pending', 'waiting for the user')
    d.status = 'spent'
    return json(200, this.issueTokens(this.newGrant(d.scope), true))
  }

  /**
   * Tokens for the client itself, no refresh token (§4.4.3). Client authentication
   * already ran; a public client (`clientAuth: 'none'`) is refused, as §4.4 requires.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
   */
  clientCredentialsGrant(params: Map<string, string>): Reply {
    if ((this.opts.clientAuth ?? 'client_secret_basic') === 'none') {
      throw new OAuthFailure(400, 'unauthorized_client', 'client credentials need a confidential client')
    }
    const scope = splitScope(params.get('scope'))
    return json(200, this.issueTokens(this.newGrant(scope.length ? scope : (this.opts.defaultScope ?? ['read', 'write'])), false))
  }

  /** The protected API: echoes the request when the credential is good. */
  api(rec: RecordedRequest): Reply {
    if (!this.apiAuthorized(rec.headers)) {
      return json(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' })
    }
    const status = /^\/api\/status\/(\d{3})$/.exec(rec.path)
    if (status) {
      const code = Number(status[1])
      return json(code, code === 404 ? { error: 'not_found' } : { error: `status_${code}` })
    }
    const url = new URL(rec.url, this.baseUrl)
    const headers = { ...rec.headers }
    delete headers.authorization
    return json(200, {
      method: rec.method,
      path: rec.path,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: rec.body,
    })
  }

  apiAuthorized(headers: Record<string, string>): boolean {
    const tidioId = headers['x-tidio-openapi-client-id']
    const tidioSecret = headers['x-tidio-openapi-client-secret']
    if (tidioId !== undefined || tidioSecret !== undefined) {
      return this.statics.has(`header_pair\n${tidioId ?? ''}:${tidioSecret ?? ''}`)
    }
    const auth = headers.authorization
    if (auth === undefined) return false
    const bearer = /^Bearer\s+(\S+)$/i.exec(auth)?.[1]
    if (bearer !== undefined) return this.statics.has(`bearer\n${bearer}`) || this.isAccessTokenValid(bearer)
    const basic = /^Basic\s+(\S+)$/i.exec(auth)?.[1]
    if (basic !== undefined) return this.statics.has(`basic\n${Buffer.from(basic, 'base64').toString('utf8')}`)
    return this.statics.has(`raw\n${auth}`)
  }

  isAccessTokenValid(token: string): boolean {
    const rec = this.access.get(token)
    return rec !== undefined && !rec.revoked && !rec.grant.revoked && rec.expiresAt > Date.now()
  }

  isTokenActive(token: string): boolean {
    if (this.access.has(token)) return this.isAccessTokenValid(token)
    const rt = this.refresh.get(token)
    return rt !== undefined && !rt.revoked && !rt.rotated && !rt.grant.revoked
  }

  addStatic(kind: StaticCredentialKind, value: string): void {
    this.statics.add(`${kind}\n${value}`)
  }

  expireAll(): void {
    for (const rec of this.access.values()) rec.expiresAt = Date.now() - 1000
  }

  issued(): { access: string[]; refresh: string[]; codes: string[] } {
    return { access: [...this.access.keys()], refresh: [...this.refresh.keys()], codes: [...this.codes.keys()] }
  }
}

function randomLetters(n: number): string {
  const alphabet = 'BCDFGHJKLMNPQRSTVWXZ'
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('')
}

function page(status: number, text: string): Reply {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body: `<!doctype html><p>${text}</p>` }
}

function send(res: ServerResponse, reply: Reply): void {
  if (reply === 'hang') return
  if (reply === 'reset') {
    res.socket?.destroy()
    return
  }
  if (reply === 'truncate' || reply === 'stall') {
    const partial = '{"partial":'
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(partial.length + 100) })
    res.write(partial, () => {
      if (reply === 'truncate') res.socket?.destroy()
    })
    return
  }
  res.writeHead(reply.status, reply.headers ?? {})
  res.end(reply.body ?? '')
}

/** Starts the fake provider on 127.0.0.1 with a free port. */
export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const state = new ProviderState(options)
  const server = createServer((req, res) => {
    readBody(req).then(
      (body) => {
        const url = req.url ?? '/'
        const rec: RecordedRequest = {
          method: req.method ?? 'GET', path: url.split('?')[0]!, url, headers: flattenHeaders(req), body,
        }
        state.record(rec)
        const reply = state.route(rec)
        const hold = rec.method === 'POST' && (rec.path === '/token' || rec.path === '/v2/token') ? state.tokenAnswerHold : undefined
        if (hold === undefined) return send(res, reply)
        state.tokenAnswerHold = undefined
        void hold.then(() => send(res, reply))
      },
      () => res.socket?.destroy(),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return toFacade(state, server)
}

function toFacade(state: ProviderState, server: Server): FakeProvider {
  let closed: Promise<void> | undefined
  return {
    url: state.baseUrl,
    issuer: state.baseUrl,
    clientId: state.clientId,
    clientSecret: state.clientSecret,
    requests: state.requests,
    setDecision: (d) => void (state.decision = d),
    injectTokenFault: (f, count = 1) => {
      state.fault = f
      state.faultsLeft = count
    },
    holdNextTokenAnswer: () => {
      let release!: () => void
      state.tokenAnswerHold = new Promise<void>((resolve) => (release = resolve))
      return { release }
    },
    injectApiFault: (fault, count = 1) => void (state.apiFault = { fault, remaining: count }),
    expireAllAccessTokens: () => state.expireAll(),
    setAccessTokenTtl: (seconds) => void (state.opts.accessTokenTtl = seconds),
    revokeAllGrants: () => state.revokeAllGrants(),
    issuedAccessTokens: () => state.issued().access,
    issuedRefreshTokens: () => state.issued().refresh,
    issuedCodes: () => state.issued().codes,
    isTokenActive: (t) => state.isTokenActive(t),
    addStaticCredential: (kind, value) => state.addStatic(kind, value),
    decidePendingDevices: () => state.decidePendingDevices(),
    waitForRequest: (predicate, timeoutMs = 10_000) => state.waitForRequest(predicate, timeoutMs),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Hung responses and keep-alive sockets would hold close() open.
        server.closeAllConnections()
      })
      return closed
    },
  }
}
