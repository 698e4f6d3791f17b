/**
 * The seam between our types and oauth4webapi, for the endpoints it still
 * serves (discovery, callback validation, device authorization, revocation):
 * metadata, client and client authentication mapping, and the `customFetch`
 * adapter over our HttpClient. The token request does without it
 * (token-endpoint.ts); answers are interpreted in answers.ts.
 */
import * as oauth from 'oauth4webapi'
import type { HttpClient, HttpResponse } from '../http/types'
import { describeResponse, failureFromRaw, readResponse } from './answers'
import { clientAuthentication } from './client-auth'
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
 * Client authentication for the requests oauth4webapi still sends (device
 * authorization, revocation): the token request's own (client-auth.ts), so
 * every endpoint authenticates the client the same way.
 */
export function toClientAuth(client: OAuthClient): oauth.ClientAuth {
  const auth = clientAuthentication(client)
  return (_as, _client, body, headers) => {
    for (const [name, value] of Object.entries(auth.parameters)) body.set(name, value)
    if (auth.authorization !== undefined) headers.set('authorization', auth.authorization)
  }
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
