/**
 * The authorization response: validation of the callback parameters, and
 * reading them back from whatever the user pasted. Pure.
 */
import * as oauth from 'oauth4webapi'
import { AuthorizationDeniedError, OAuthError, ProtocolError } from './errors'
import { toAuthorizationServer } from './oauth4'
import type { AuthorizationCode, Brand, ServerMetadata, State } from './types'

/** Callback parameters that passed `validateCallback`; nothing else can make one. */
export type ValidatedCallback = Brand<{ code: AuthorizationCode; params: URLSearchParams }, 'ValidatedCallback'>

/**
 * Checks `state` first, so an error or a code from a forged request is never
 * believed, then lets oauth4webapi check the rest (`iss`, repeated parameters,
 * implicit-flow leftovers) and turns its errors into ours.
 * The code is taken as URLSearchParams decoded it, once: LiveChat's `dal%3Aabc`
 * becomes `dal:abc` and must not be touched again.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 * @see https://www.rfc-editor.org/rfc/rfc9207
 */
export function validateCallback(
  params: URLSearchParams,
  expectedState: State,
  metadata: ServerMetadata,
  client_id: string,
): ValidatedCallback {
  const state = params.get('state')
  if (state === null || state !== expectedState) {
    throw new ProtocolError(
      'state_mismatch',
      state === null ? 'the callback has no state parameter' : 'the callback state does not match this login attempt',
    )
  }
  let validated: URLSearchParams
  try {
    validated = oauth.validateAuthResponse(toAuthorizationServer(metadata), { client_id }, params, expectedState)
  } catch (err) {
    throw mapAuthResponseError(err)
  }
  const codes = validated.getAll('code')
  if (codes.length > 1) throw new ProtocolError('invalid_response', 'the callback has more than one code')
  const code = codes[0]
  if (!code) throw new ProtocolError('missing_code', 'the callback has neither a code nor an error')
  return { code: code as AuthorizationCode, params: validated } as ValidatedCallback
}

function mapAuthResponseError(err: unknown): unknown {
  if (err instanceof oauth.AuthorizationResponseError) {
    return err.error === 'access_denied'
      ? new AuthorizationDeniedError(err.error, err.error_description)
      : new OAuthError('authorize', err.error, err.error_description)
  }
  if (err instanceof oauth.OperationProcessingError || err instanceof oauth.UnsupportedOperationError) {
    // oauth4webapi's messages name the parameter, never its value.
    return new ProtocolError('invalid_response', `the callback is invalid: ${err.message}`)
  }
  return err
}

/**
 * Reads back what the user pasted after the browser was redirected to a URL the
 * tool does not serve: a full redirected URL, a query string (with or without `?`),
 * or just the code (then only `code` is set and the caller decides about `state`).
 * Never throws: empty or unusable input gives empty parameters.
 */
export function parsePastedCallback(text: string): URLSearchParams {
  return readPasted(text).params
}

/**
 * What was pasted, as callback parameters ready for `validateCallback`. Only a
 * bare code, which has nowhere to carry one, gets the expected `state` filled
 * in; a pasted URL or query string keeps what it has, so one without `state`
 * is refused exactly as the loopback listener refuses it.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12
 */
export function pastedCallbackParams(text: string, expectedState: State): URLSearchParams {
  const { params, bareCode } = readPasted(text)
  if (bareCode) params.set('state', expectedState)
  return params
}

function readPasted(text: string): { params: URLSearchParams; bareCode: boolean } {
  const input = text.trim()
  const of = (params: URLSearchParams): { params: URLSearchParams; bareCode: boolean } => ({ params, bareCode: false })
  if (input === '') return of(new URLSearchParams())
  const query = input.indexOf('?')
  if (query >= 0) return of(new URLSearchParams(input.slice(query + 1).split('#')[0]))
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) return of(fragmentParams(input))
  if (input.includes('=')) {
    const params = new URLSearchParams(input)
    if (params.has('code') || params.has('error') || params.has('state')) return of(params)
  }
  if (/[\s&]/.test(input)) return of(new URLSearchParams())
  return { params: new URLSearchParams([['code', decodeOnce(input)]]), bareCode: true }
}

/** A redirected URL without a query may carry the response in its fragment. */
function fragmentParams(input: string): URLSearchParams {
  const hash = input.indexOf('#')
  return hash >= 0 ? new URLSearchParams(input.slice(hash + 1)) : new URLSearchParams()
}

/**
 * A code copied out of an address bar is still percent-encoded (`dal%3Aabc`);
 * decode escapes once, and leave `+` alone, as a code shown on a page is raw.
 */
function decodeOnce(code: string): string {
  if (!/%[0-9a-f]{2}/i.test(code)) return code
  try {
    return decodeURIComponent(code)
  } catch {
    return code
  }
}
