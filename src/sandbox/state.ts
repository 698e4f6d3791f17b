/**
 * The sandbox's memory: pending consents, authorization codes, grants with
 * their access and refresh tokens, and device authorizations. Every protocol
 * rule that needs state lives here, as plain method calls with an injected
 * clock, so each transition is a unit test without HTTP.
 * @see https://www.rfc-editor.org/rfc/rfc6749
 * @see https://www.rfc-editor.org/rfc/rfc8628
 */
import { randomBytes, randomInt } from 'node:crypto'
import { formatUserCode, isScopeSubset, normalizeUserCode, USER_CODE_ALPHABET, verifyPkce } from './rules'

/** The one user who is always signed in to the sandbox. */
export const SANDBOX_USER = Object.freeze({ id: 'sandbox-user-1', name: 'Sandbox User', email: 'sandbox.user@example.com' })

/** A validated authorization request, waiting for the user's decision. */
export interface AuthorizationRequest {
  clientId: string
  redirectUri: string
  state: string | undefined
  scope: string[]
  codeChallenge: string
}

/** What a consent page asks the user about; its id is the page's anti-forgery token. */
export type Consent =
  | { kind: 'authorize'; request: AuthorizationRequest }
  | { kind: 'device'; userCode: string; clientId: string; scope: string[] }

/** @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1 */
export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  refresh_token: string
  scope: string
}

/** The client credentials grant's answer: no refresh token (RFC 6749 §4.4.3). */
export type AccessTokenResponse = Omit<TokenResponse, 'refresh_token'>

/** @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5 */
export type TokenErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'authorization_pending'
  | 'slow_down'
  | 'access_denied'
  | 'expired_token'

export type TokenOutcome<T extends AccessTokenResponse = TokenResponse> =
  | { ok: true; tokens: T }
  | { ok: false; error: TokenErrorCode; description: string }

export interface DeviceStart {
  deviceCode: string
  userCode: string
  expiresIn: number
  interval: number
}

export type BearerCheck = { ok: true; scope: string[]; clientId: string } | { ok: false; description: string }

export interface SandboxStats {
  tokensIssued: number
  refreshes: number
  reuseDetected: number
}

export interface StateOptions {
  /** Epoch milliseconds. */
  now: () => number
  /** Seconds. */
  accessTokenTtl: number
  /** Seconds, counted from each refresh token's issue. */
  refreshTokenTtl: number
  /** Seconds between device polls. */
  deviceInterval: number
  /** Seconds; RFC 6749 §4.1.2 recommends at most 10 minutes, the sandbox uses 60 s. */
  codeTtl?: number
  /** Seconds. */
  deviceCodeTtl?: number
  /** Seconds a consent page stays answerable. */
  consentTtl?: number
  /** Opaque token source; 32 random bytes, base64url, by default. */
  randomToken?: () => string
}

interface Grant {
  id: string
  clientId: string
  scope: string[]
  revoked: boolean
  accessTokens: Set<string>
}

interface CodeRecord {
  request: AuthorizationRequest
  expiresAt: number
  redeemed: boolean
  grantId: string | undefined
}

interface AccessRecord {
  grantId: string
  scope: string[]
  expiresAt: number
}

interface RefreshRecord {
  grantId: string
  expiresAt: number
  used: boolean
}

type DeviceStatus = 'pending' | 'approved' | 'denied' | 'consumed'

interface DeviceRecord {
  clientId: string
  scope: string[]
  userCode: string
  expiresAt: number
  interval: number
  lastPollAt: number | undefined
  status: DeviceStatus
}

/** RFC 8628 §3.5: each `slow_down` adds 5 seconds to the interval for good. */
const SLOW_DOWN_STEP_S = 5

function randomOpaqueToken(): string {
  return randomBytes(32).toString('base64url')
}

function randomUserCode(): string {
  const chars = Array.from({ length: 8 }, () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)])
  return formatUserCode(chars.join(''))
}

function fail(error: TokenErrorCode, description: string): TokenOutcome {
  return { ok: false, error, description }
}

/** All of the sandbox's state, in memory. */
export class SandboxState {
  private readonly consents = new Map<string, { consent: Consent; expiresAt: number }>()
  private readonly codes = new Map<string, CodeRecord>()
  private readonly grants = new Map<string, Grant>()
  private readonly accessTokens = new Map<string, AccessRecord>()
  private readonly refreshTokens = new Map<string, RefreshRecord>()
  private readonly devices = new Map<string, DeviceRecord>()
  private readonly deviceByUserCode = new Map<string, string>()
  private readonly counters: SandboxStats = { tokensIssued: 0, refreshes: 0, reuseDetected: 0 }
  private readonly random: () => string

  constructor(private readonly options: StateOptions) {
    this.random = options.randomToken ?? randomOpaqueToken
  }

  stats(): SandboxStats {
    return { ...this.counters }
  }

  private now(): number {
    return this.options.now()
  }

  private secondsFromNow(seconds: number): number {
    return this.now() + seconds * 1000
  }

  // --- consent -----------------------------------------------------------

  /** Remembers what a consent page asks; the returned id goes in the page's form. */
  openConsent(consent: Consent): string {
    const id = this.random()
    this.consents.set(id, { consent, expiresAt: this.secondsFromNow(this.options.consentTtl ?? 600) })
    return id
  }

  /** The consent behind a form's id, once: a replayed or stale form finds nothing. */
  takeConsent(id: string): Consent | undefined {
    const entry = this.consents.get(id)
    this.consents.delete(id)
    if (!entry || this.now() >= entry.expiresAt) return undefined
    return entry.consent
  }

  // --- authorization code --------------------------------------------------

  /** A single-use code bound to the request's client, redirect URI and code challenge. */
  issueCode(request: AuthorizationRequest): string {
    const code = this.random()
    const expiresAt = this.secondsFromNow(this.options.codeTtl ?? 60)
    this.codes.set(code, { request, expiresAt, redeemed: false, grantId: undefined })
    return code
  }

  /**
   * Redeems a code. A code is spent by its first redemption whatever the
   * outcome; presenting it again revokes the tokens it bought.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (reuse)
   * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.6
   */
  exchangeCode(input: { code: string; clientId: string; redirectUri: string; codeVerifier: string }): TokenOutcome {
    const record = this.codes.get(input.code)
    if (!record) return fail('invalid_grant', 'the authorization code is unknown')
    if (record.redeemed) {
      if (record.grantId) this.revokeGrant(record.grantId)
      return fail('invalid_grant', 'the authorization code was already used; the tokens issued for it are revoked')
    }
    record.redeemed = true
    const { request } = record
    if (this.now() >= record.expiresAt) return fail('invalid_grant', 'the authorization code has expired')
    if (request.clientId !== input.clientId) return fail('invalid_grant', 'the authorization code was issued to another client')
    if (request.redirectUri !== input.redirectUri) {
      return fail('invalid_grant', 'redirect_uri does not match the one in the authorization request')
    }
    if (!verifyPkce(input.codeVerifier, request.codeChallenge)) {
      return fail('invalid_grant', 'PKCE verification failed: code_verifier does not match the code_challenge')
    }
    const grant = this.createGrant(request.clientId, request.scope)
    record.grantId = grant.id
    return { ok: true, tokens: this.issueTokens(grant, grant.scope) }
  }

  // --- grants and tokens ----------------------------------------------------

  private createGrant(clientId: string, scope: string[]): Grant {
    const grant: Grant = { id: this.random(), clientId, scope, revoked: false, accessTokens: new Set() }
    this.grants.set(grant.id, grant)
    return grant
  }

  /** A new access token and a new refresh token; the refresh token keeps the grant's full scope (RFC 6749 §6). */
  private issueTokens(grant: Grant, scope: string[]): TokenResponse {
    const refresh = this.random()
    this.refreshTokens.set(refresh, { grantId: grant.id, expiresAt: this.secondsFromNow(this.options.refreshTokenTtl), used: false })
    return { ...this.issueAccessToken(grant, scope), refresh_token: refresh }
  }

  private issueAccessToken(grant: Grant, scope: string[]): AccessTokenResponse {
    const access = this.random()
    this.accessTokens.set(access, { grantId: grant.id, scope, expiresAt: this.secondsFromNow(this.options.accessTokenTtl) })
    grant.accessTokens.add(access)
    this.counters.tokensIssued += 1
    return { access_token: access, token_type: 'Bearer', expires_in: this.options.accessTokenTtl, scope: scope.join(' ') }
  }

  /**
   * The client credentials grant, for an authenticated confidential client:
   * an access token for the client itself, and no refresh token (RFC 6749 §4.4.3).
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
   */
  clientCredentials(input: { clientId: string; scope: string[] }): TokenOutcome<AccessTokenResponse> {
    return { ok: true, tokens: this.issueAccessToken(this.createGrant(input.clientId, input.scope), input.scope) }
  }

  /** Ends a grant: its access tokens stop working and none of its refresh tokens will refresh again. */
  private revokeGrant(grantId: string): void {
    const grant = this.grants.get(grantId)
    if (!grant) return
    grant.revoked = true
    for (const token of grant.accessTokens) this.accessTokens.delete(token)
    grant.accessTokens.clear()
  }

  /**
   * Refreshes with rotation: every refresh spends the refresh token and issues
   * a new one. Presenting a spent one means two parties hold it, so the whole
   * grant is revoked, as certified servers do.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
   * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
   */
  refresh(input: { refreshToken: string; clientId: string; scope: string[] | undefined }): TokenOutcome {
    const record = this.refreshTokens.get(input.refreshToken)
    const grant = record && this.grants.get(record.grantId)
    if (!record || !grant) return fail('invalid_grant', 'the refresh token is unknown')
    if (grant.clientId !== input.clientId) return fail('invalid_grant', 'the refresh token was issued to another client')
    if (grant.revoked) return fail('invalid_grant', 'the refresh token has been revoked')
    if (record.used) {
      this.revokeGrant(grant.id)
      this.counters.reuseDetected += 1
      return fail('invalid_grant', 'the refresh token was already used; the grant is revoked')
    }
    if (this.now() >= record.expiresAt) return fail('invalid_grant', 'the refresh token has expired')
    if (input.scope && !isScopeSubset(input.scope, grant.scope)) {
      return fail('invalid_scope', 'the requested scope exceeds the scope originally granted')
    }
    record.used = true
    this.counters.refreshes += 1
    return { ok: true, tokens: this.issueTokens(grant, input.scope ?? grant.scope) }
  }

  /**
   * Revokes a token of the calling client: an access token alone, a refresh
   * token with its whole grant. Unknown tokens and other clients' tokens are
   * left alone, and the caller answers 200 all the same.
   * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
   */
  revoke(token: string, clientId: string): void {
    const access = this.accessTokens.get(token)
    const refresh = this.refreshTokens.get(token)
    const grantId = access?.grantId ?? refresh?.grantId
    const grant = grantId === undefined ? undefined : this.grants.get(grantId)
    if (!grant || grant.clientId !== clientId) return
    if (refresh) {
      this.revokeGrant(grant.id)
      return
    }
    this.accessTokens.delete(token)
    grant.accessTokens.delete(token)
  }

  /** Whether a Bearer token may call the API now. @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1 */
  checkBearer(token: string): BearerCheck {
    const record = this.accessTokens.get(token)
    const grant = record && this.grants.get(record.grantId)
    if (!record || !grant || grant.revoked) return { ok: false, description: 'the access token is unknown or revoked' }
    if (this.now() >= record.expiresAt) return { ok: false, description: 'the access token has expired' }
    return { ok: true, scope: record.scope, clientId: grant.clientId }
  }

  // --- device authorization ------------------------------------------------

  /** @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2 */
  startDevice(clientId: string, scope: string[]): DeviceStart {
    const deviceCode = this.random()
    let userCode = randomUserCode()
    while (this.deviceByUserCode.has(userCode)) userCode = randomUserCode()
    const expiresIn = this.options.deviceCodeTtl ?? 600
    const interval = this.options.deviceInterval
    this.devices.set(deviceCode, {
      clientId,
      scope,
      userCode,
      expiresAt: this.secondsFromNow(expiresIn),
      interval,
      lastPollAt: undefined,
      status: 'pending',
    })
    this.deviceByUserCode.set(userCode, deviceCode)
    return { deviceCode, userCode, expiresIn, interval }
  }

  /** The device authorization a typed user code names, while it still waits for a decision. */
  findPendingDevice(typed: string): { userCode: string; clientId: string; scope: string[] } | undefined {
    const userCode = normalizeUserCode(typed)
    const record = this.deviceRecord(userCode)
    if (!record || record.status !== 'pending' || this.now() >= record.expiresAt) return undefined
    return { userCode, clientId: record.clientId, scope: record.scope }
  }

  /** Records the user's answer; false when the code no longer waits for one. */
  decideDevice(userCode: string, allow: boolean): boolean {
    if (!this.findPendingDevice(userCode)) return false
    const record = this.deviceRecord(normalizeUserCode(userCode)) as DeviceRecord
    record.status = allow ? 'approved' : 'denied'
    return true
  }

  private deviceRecord(userCode: string): DeviceRecord | undefined {
    const deviceCode = this.deviceByUserCode.get(userCode)
    return deviceCode === undefined ? undefined : this.devices.get(deviceCode)
  }

  /**
   * One poll of the token endpoint with a device code. Polling faster than the
   * interval earns `slow_down`, and the interval grows by 5 s from then on.
   * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5
   */
  pollDevice(deviceCode: string, clientId: string): TokenOutcome {
    const record = this.devices.get(deviceCode)
    if (!record || record.clientId !== clientId) return fail('invalid_grant', 'the device code is unknown')
    if (record.status === 'consumed') return fail('invalid_grant', 'the device code was already used')
    const now = this.now()
    if (now >= record.expiresAt) return fail('expired_token', 'the device code has expired; start again')
    const previous = record.lastPollAt
    record.lastPollAt = now
    if (previous !== undefined && now - previous < record.interval * 1000) {
      record.interval += SLOW_DOWN_STEP_S
      return fail('slow_down', `polling too fast: wait at least ${record.interval} s between requests`)
    }
    switch (record.status) {
      case 'pending':
        return fail('authorization_pending', 'the user has not answered yet')
      case 'denied':
        return fail('access_denied', 'the user denied the request')
      case 'approved': {
        record.status = 'consumed'
        const grant = this.createGrant(record.clientId, record.scope)
        return { ok: true, tokens: this.issueTokens(grant, grant.scope) }
      }
      default: {
        const never: never = record.status
        throw new Error(`unexpected device status ${String(never)}`)
      }
    }
  }
}
