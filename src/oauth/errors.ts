/**
 * Errors thrown by protocol code. They never carry exit codes: `cli/report.ts`
 * decides what they mean for the user.
 */
import type { RefreshToken } from './types'

/** An RFC 6749 §5.2 (or §4.1.2.1) error answer from the provider. */
export class OAuthError extends Error {
  readonly error: string
  readonly error_description: string | undefined
  /** HTTP status of the response, when it came from an endpoint (not a redirect). */
  readonly status: number | undefined
  /** Which step failed, for messages: 'token', 'refresh', 'device', 'revoke', 'authorize'. */
  readonly step: string
  /** The answer's `Retry-After` header as sent (a 429 or 503 asks for a wait), for the message to say. */
  readonly retryAfter: string | undefined

  constructor(step: string, error: string, description?: string, status?: number, retryAfter?: string) {
    super(`${step} failed: ${error}${description ? ` (${description})` : ''}`)
    this.name = 'OAuthError'
    this.step = step
    this.error = error
    this.error_description = description
    this.status = status
    this.retryAfter = retryAfter
  }
}

/** The user (or the provider on their behalf) refused the authorization request. */
export class AuthorizationDeniedError extends OAuthError {
  constructor(error: string, description?: string) {
    super('authorize', error, description)
    this.name = 'AuthorizationDeniedError'
  }
}

export type ProtocolErrorCode =
  | 'state_mismatch'
  | 'missing_code'
  | 'invalid_response'
  | 'not_json'
  | 'unsupported_token_type'
  | 'missing_endpoint'
  | 'insecure_endpoint'
  | 'discovery_failed'
  | 'timeout'
  | 'expired'

/** The provider said something this tool cannot accept, or a protocol check failed. */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode
  /** HTTP status of the answer that could not be used, when there was one (a 502 HTML page, say). */
  readonly status: number | undefined
  /**
   * A good token the unusable answer carried all the same (a new refresh token
   * in an answer refused for its access token, token type or scope): issued, so never dropped.
   */
  readonly issued: { refresh_token: RefreshToken } | undefined
  /**
   * The unusable answer was a token answer (a JSON object) with no refresh token in it at all: the provider
   * issued none, so a refresh token sent is not replaced and stays the live one (RFC 6749 §6).
   */
  readonly noRefreshToken: boolean
  /** The answer's `Retry-After` header as sent, as OAuthError's. */
  readonly retryAfter: string | undefined
  constructor(
    code: ProtocolErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number; issued?: { refresh_token: RefreshToken }; noRefreshToken?: boolean; retryAfter?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ProtocolError'
    this.code = code
    this.status = options?.status
    this.issued = options?.issued
    this.noRefreshToken = options?.noRefreshToken === true
    this.retryAfter = options?.retryAfter
  }
}
