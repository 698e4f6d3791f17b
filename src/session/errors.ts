/**
 * Session-level outcomes that are not protocol errors. No exit codes here:
 * `cli/report.ts` maps each to the SPEC's code and a runnable hint.
 */
import type { CredentialKey } from '../store/credential-store'
import type { StopSignal } from '../platform/process'

/** Nothing is stored for this provider and profile (or it expired with no way to refresh). */
export class NotLoggedInError extends Error {
  readonly key: CredentialKey
  readonly reason: 'missing' | 'expired_no_refresh'
  constructor(key: CredentialKey, reason: NotLoggedInError['reason']) {
    super(
      reason === 'missing'
        ? `not logged in to ${key.provider} (profile ${key.profile})`
        : `the access token for ${key.provider} (profile ${key.profile}) has expired and there is no refresh token`,
    )
    this.name = 'NotLoggedInError'
    this.key = key
    this.reason = reason
  }
}

/** The provider said the refresh token is no longer good (invalid_grant and friends). */
export class RefreshRejectedError extends Error {
  readonly key: CredentialKey
  readonly error: string
  constructor(key: CredentialKey, error: string, description?: string, options?: { cause?: unknown }) {
    super(
      `${key.provider} rejected the refresh token for profile ${key.profile}: ${error}${description ? ` (${description})` : ''}`,
      options,
    )
    this.name = 'RefreshRejectedError'
    this.key = key
    this.error = error
  }
}

/** The dead mark's error for a credential whose refresh was interrupted at a rotating provider. */
export const INTERRUPTED_REFRESH = 'interrupted_refresh'

/**
 * At login, the provider refused the authorization code as a dead grant
 * (`invalid_grant`, or its declared `dead_grant_errors`): it expired or was used.
 */
export class CodeRejectedError extends Error {
  readonly providerName: string
  readonly profile: string
  readonly error: string
  constructor(providerName: string, profile: string, error: string, description?: string, options?: { cause?: unknown }) {
    super(
      `${providerName} refused the authorization code: it expired or was already used (${error}${description ? `: ${description}` : ''}); nothing was stored`,
      options,
    )
    this.name = 'CodeRejectedError'
    this.providerName = providerName
    this.profile = profile
    this.error = error
  }
}

/** `--min-ttl` asks for more life than the token has, even renewed, or it cannot be renewed. */
export class TokenLifetimeError extends Error {
  readonly key: CredentialKey
  readonly minTtlSeconds: number
  /** True: just renewed, so `seconds` is the provider's lifetime. False: `seconds` left, and no way to renew. */
  readonly renewable: boolean
  readonly seconds: number
  constructor(key: CredentialKey, minTtlSeconds: number, found: { renewable: boolean; seconds: number }) {
    super(
      found.renewable
        ? `${key.provider} issues access tokens that live ${found.seconds} s, less than the ${minTtlSeconds} s asked with --min-ttl`
        : `the access token for ${key.provider} (profile ${key.profile}) has ${found.seconds} s left, less than --min-ttl ${minTtlSeconds}, and cannot be refreshed`,
    )
    this.name = 'TokenLifetimeError'
    this.key = key
    this.minTtlSeconds = minTtlSeconds
    this.renewable = found.renewable
    this.seconds = found.seconds
  }
}

/**
 * A shared credential whose last refresh was sent by a runner that never stored
 * an answer (it died, gave up, or got one it could not use: not always another
 * process), at a provider seen to rotate refresh tokens: the stored
 * refresh token may be spent, and sending it again would get the grant revoked.
 */
export class InterruptedRefreshError extends Error {
  readonly key: CredentialKey
  constructor(key: CredentialKey, holder: string, since: string) {
    super(
      `the last refresh of ${key.provider} (profile ${key.profile}) was sent by ${holder}${since ? ` at ${since}` : ''}, which never stored an answer (it stopped, gave up at its deadline, or got an answer it could not use); ` +
        `${key.provider} rotates refresh tokens, so the stored one may be spent and is not sent again (that would get the grant revoked)`,
    )
    this.name = 'InterruptedRefreshError'
    this.key = key
  }
}

/**
 * A refresh at a rotating provider, kept in a shared store, sent its refresh
 * token and got no usable answer (a deadline, a dropped connection, a 5xx page):
 * the provider may have spent the token, so the refresh-in-flight mark stays and
 * the next command refuses to send it again. Said now, with the cause's own
 * words: the way on is a login, not trying again.
 */
export class UnsettledRefreshError extends Error {
  readonly key: CredentialKey
  constructor(key: CredentialKey, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(
      `${reason}; ${key.provider} rotates refresh tokens and may have spent this one, so it will not be sent again ` +
        '(that would get the grant revoked): until you log in, the next command exits 3',
      { cause },
    )
    this.name = 'UnsettledRefreshError'
    this.key = key
  }
}

/** The login did not complete before `--timeout`. */
export class LoginTimeoutError extends Error {
  readonly seconds: number
  readonly providerName: string
  /** What was being waited for, so the message can say where to look: a redirect, a paste, or a device approval. */
  readonly flow: 'browser' | 'paste' | 'device'
  constructor(providerName: string, seconds: number, flow: LoginTimeoutError['flow'] = 'browser') {
    super(
      flow === 'device'
        ? `the device code for ${providerName} was not approved within ${seconds} s`
        : `login to ${providerName} did not complete within ${seconds} s`,
    )
    this.name = 'LoginTimeoutError'
    this.seconds = seconds
    this.providerName = providerName
    this.flow = flow
  }
}

/** Input the user gave (pasted URL, static credential, flags) cannot be used. */
export class InputError extends Error {
  readonly hint: string | undefined
  constructor(message: string, hint?: string) {
    super(message)
    this.name = 'InputError'
    this.hint = hint
  }
}

/** The user answered no when asked whether a login may replace the stored credentials. */
export class ReplaceDeclinedError extends Error {
  readonly key: CredentialKey
  constructor(key: CredentialKey) {
    super(`login cancelled: the stored credentials for ${key.provider} (profile ${key.profile}) were kept`)
    this.name = 'ReplaceDeclinedError'
    this.key = key
  }
}

/** The user interrupted (Ctrl-C during a wait: "cancelled", exit 130), or SIGTERM/SIGHUP asked the process to end (143, 129). */
export class CancelledError extends Error {
  /** What ended it: Ctrl-C (SIGINT, also at a prompt), or a signal asking the process to end (SIGTERM, SIGHUP). */
  readonly signal: StopSignal
  constructor(signal: StopSignal = 'SIGINT') {
    super(signal === 'SIGINT' ? 'cancelled' : `stopped by ${signal}`)
    this.name = 'CancelledError'
    this.signal = signal
  }
}
