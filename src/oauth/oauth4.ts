/**
 * The seam between our types and oauth4webapi: metadata, client and client
 * authentication mapping, the `customFetch` adapter over our HttpClient, and the
 * one place where an HTTP answer is turned into an OAuthError or ProtocolError.
 */
import * as oauth from 'oauth4webapi'
import type { HttpClient, HttpResponse } from '../http/types'
import { OAuthError, ProtocolError } from './errors'
import type { OAuthClient, ServerMetadata, TokenRequestEncoding } from './types'

/** Maps our metadata onto oauth4webapi's; only the fields we know are passed on. */
export function toAuthorizationServer(metadata: ServerMetadata): oauth.AuthorizationServer {
  const { code_challenge_methods_supported, ...endpoints } = metadata
  return code_challenge_methods_supported === undefined
    ? { ...endpoints }
    : { ...endpoints, code_challenge_methods_supported: [...code_challenge_methods_supported] }
}

/** oauth4webapi's client: only the id, since authentication is a separate strategy. */
export function toClient(client: Pick<OAuthClient, 'client_id'>): oauth.Client {
  return { client_id: client.client_id }
}

/**
 * Client authentication, chosen once from `token_endpoint_auth_method`.
 * A client without a secret is a public client whatever the configured method, and
 * identifies itself by `client_id` alone (LiveChat's PKCE apps send no secret).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2.1
 */
export function toClientAuth(client: OAuthClient): oauth.ClientAuth {
  const secret = client.client_secret
  const method = client.token_endpoint_auth_method
  switch (method) {
    case 'client_secret_basic':
      return secret ? clientSecretBasic(secret) : oauth.None()
    case 'client_secret_post':
      return secret ? oauth.ClientSecretPost(secret) : oauth.None()
    case 'none':
      return oauth.None()
    default: {
      const unknown: never = method
      throw new TypeError(`unknown token_endpoint_auth_method ${String(unknown)}`)
    }
  }
}

/**
 * HTTP Basic client authentication with RFC 6749 §2.3.1's form encoding of id and
 * secret. Unlike oauth4webapi's, it leaves RFC 3986 unreserved characters
 * (`-._~`) as they are: a server that decodes sees the same values, and the many
 * servers that do not decode still accept the usual secrets made of them.
 */
function clientSecretBasic(secret: string): oauth.ClientAuth {
  return (_as, client, _body, headers) => {
    const credentials = `${formEncode(client.client_id)}:${formEncode(secret)}`
    headers.set('authorization', `Basic ${btoa(credentials)}`)
  }
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}

type CustomFetch = (url: string, options: oauth.CustomFetchOptions<string, URLSearchParams | undefined>) => Promise<Response>

/**
 * Adapts our HttpClient to oauth4webapi's `customFetch`. With `json` encoding the
 * form body oauth4webapi built is re-sent as a JSON object with the same fields,
 * so client authentication and grant parameters stay oauth4webapi's.
 */
export function toCustomFetch(http: HttpClient, encoding: TokenRequestEncoding = 'form'): CustomFetch {
  return async (url, options) => {
    const headers = { ...options.headers }
    // Our HttpClient names the tool in User-Agent; oauth4webapi's default would hide it.
    delete headers['user-agent']
    let body: string | URLSearchParams | undefined = options.body
    if (encoding === 'json' && body instanceof URLSearchParams) {
      body = JSON.stringify(Object.fromEntries(body))
      headers['content-type'] = 'application/json'
    }
    const answer = await http(url, { method: options.method, headers, body, redirect: 'manual', signal: options.signal ?? null })
    return toGlobalResponse(answer)
  }
}

/**
 * oauth4webapi insists on a global Response; ours streams, so its (bounded)
 * body is read here. Only oauth4webapi's paths pay for loading `Response`.
 */
async function toGlobalResponse(answer: HttpResponse): Promise<Response> {
  if (answer instanceof Response) return answer
  // The production client's text()/arrayBuffer() refuse a body past a bound (http/body.ts).
  const bytes = answer.body ? await answer.arrayBuffer() : null
  const headers: Array<[string, string]> = []
  answer.headers.forEach((value, name) => headers.push([name, value]))
  return new Response(bytes, { status: answer.status, statusText: answer.statusText, headers })
}

/**
 * The options every oauth4webapi call gets. Insecure (http:) requests are allowed
 * because the provider schema already restricts http: to loopback hosts.
 */
export function requestOptions(http: HttpClient, encoding: TokenRequestEncoding = 'form', signal?: AbortSignal) {
  return {
    [oauth.customFetch]: toCustomFetch(http, encoding),
    [oauth.allowInsecureRequests]: true,
    ...(signal ? { signal } : {}),
  }
}

/** A buffered HTTP answer: what every interpretation below is a pure function of. */
export interface RawResponse {
  status: number
  contentType: string
  text: string
  /** The endpoint that answered, for messages (origin and path only are shown). */
  url?: string
}

/** Buffers a Response once, so it can be interpreted by the pure functions below. */
export async function readResponse(response: HttpResponse): Promise<RawResponse> {
  const contentType = response.headers.get('content-type') ?? ''
  return { status: response.status, contentType, text: await response.text() }
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
  if (rfc) return new OAuthError(step, rfc.error, rfc.description, raw.status)
  const where = `${step} endpoint${shownUrl(raw.url)}`
  return body === undefined
    ? new ProtocolError('not_json', `${where} answered with a body that is not JSON (${describeResponse(raw)})`, {
        status: raw.status,
      })
    : new ProtocolError('invalid_response', `${where} answered without an OAuth error (${describeResponse(raw)})`, {
        status: raw.status,
      })
}

/**
 * Runs an oauth4webapi `process*` function and, when it rejects, explains the
 * answer from a copy of the response, so every endpoint fails the same way.
 */
export async function processWith<T>(step: string, response: Response, process: (r: Response) => Promise<T>): Promise<T> {
  const copy = response.clone()
  try {
    return await process(response)
  } catch (err) {
    const raw = await readResponse(copy)
    const failure = failureFromRaw(step, raw)
    if (failure instanceof OAuthError || raw.status < 200 || raw.status > 299) throw failure
    // A 2xx that oauth4webapi rejected: its messages name the field, never the value.
    throw new ProtocolError('invalid_response', `${step} response is invalid: ${messageOf(err)} (${describeResponse(raw)})`)
  }
}

/**
 * Maps what oauth4webapi throws before sending (bad or missing metadata) to our
 * errors; anything else, such as a TransportError from the HttpClient, passes through.
 */
export function mapRequestError(err: unknown, endpoint: string): unknown {
  if (!(err instanceof oauth.OperationProcessingError)) return err
  switch (err.code) {
    case oauth.MISSING_SERVER_METADATA:
      return new ProtocolError('missing_endpoint', `no ${endpoint} is configured or discovered`)
    case oauth.INVALID_SERVER_METADATA:
      return new ProtocolError('missing_endpoint', `${endpoint} is not a valid URL`)
    case oauth.REQUEST_PROTOCOL_FORBIDDEN:
    case oauth.HTTP_REQUEST_FORBIDDEN:
      return new ProtocolError('insecure_endpoint', `${endpoint} must be an https: URL`)
    default:
      return new ProtocolError('invalid_response', messageOf(err))
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
