/**
 * A buffered HTTP answer from an OAuth endpoint and what it means: the one
 * place where an answer is turned into an OAuthError or ProtocolError. Pure
 * functions of status, content type and body; no oauth4webapi and no fetch
 * globals, so the token request (token-endpoint.ts) can use them in the
 * start-up fast build.
 */
import type { HttpResponse } from '../http/types'
import { OAuthError, ProtocolError } from './errors'

/** A buffered HTTP answer: what every interpretation below is a pure function of. */
export interface RawResponse {
  status: number
  contentType: string
  text: string
  /** The endpoint that answered, for messages (origin and path only are shown). */
  url?: string
  /** Its `Retry-After` header, when it sent one. */
  retryAfter?: string
}

/** Buffers a response once, so it can be interpreted by the pure functions below. */
export async function readResponse(response: HttpResponse): Promise<RawResponse> {
  const contentType = response.headers.get('content-type') ?? ''
  const retryAfter = response.headers.get('retry-after')
  return { status: response.status, contentType, text: await response.text(), ...(retryAfter === null ? {} : { retryAfter }) }
}

/**
 * Parses a JSON object body; also accepts a form-encoded body, which some older
 * token endpoints send when they ignore `Accept: application/json`.
 */
export function parseObjectBody(raw: RawResponse): Record<string, unknown> | undefined {
  if (raw.contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(raw.text))
  }
  try {
    const value: unknown = JSON.parse(raw.text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** An RFC 6749 §5.2 error body, if the body is one. */
export function readErrorBody(body: Record<string, unknown> | undefined): { error: string; description?: string } | undefined {
  if (typeof body?.error !== 'string' || body.error === '') return undefined
  const description = typeof body.error_description === 'string' ? body.error_description : undefined
  return description === undefined ? { error: body.error } : { error: body.error, description }
}

/** ` (https://host/path)`: the endpoint without its query, which could carry anything. */
function shownUrl(url: string | undefined): string {
  if (url === undefined || !URL.canParse(url)) return ''
  const { origin, pathname } = new URL(url)
  return ` (${origin}${pathname})`
}

/** Status and content type only: a body may hold tokens, so it never reaches a message. */
export function describeResponse(raw: Pick<RawResponse, 'status' | 'contentType'>): string {
  return `HTTP ${raw.status}, ${raw.contentType === '' ? 'no content-type' : raw.contentType}`
}

/**
 * The error for an answer that is not a success: an RFC 6749 §5.2 body at any
 * status gives an OAuthError; anything else a ProtocolError naming status and type.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export function failureFromRaw(step: string, raw: RawResponse): OAuthError | ProtocolError {
  const body = parseObjectBody(raw)
  const rfc = readErrorBody(body)
  if (rfc) return new OAuthError(step, rfc.error, rfc.description, raw.status, raw.retryAfter)
  const where = `${step} endpoint${shownUrl(raw.url)}`
  const options = { status: raw.status, ...(raw.retryAfter === undefined ? {} : { retryAfter: raw.retryAfter }) }
  // Never followed (a request with credentials goes nowhere else): said as a redirect, not as a body that is not JSON.
  if (raw.status >= 300 && raw.status <= 399) {
    return new ProtocolError(
      'invalid_response',
      `${where} answered with a redirect (HTTP ${raw.status}), which is not followed, since the request carries credentials; if the provider moved that endpoint, configure its new address`,
      options,
    )
  }
  return body === undefined
    ? new ProtocolError('not_json', `${where} answered with a body that is not JSON (${describeResponse(raw)})`, options)
    : new ProtocolError('invalid_response', `${where} answered without an OAuth error (${describeResponse(raw)})`, options)
}
