/**
 * Authorization server metadata discovery: RFC 8414 first, then OpenID Connect
 * Discovery, both through oauth4webapi (which also checks the `issuer` echo).
 */
import * as oauth from 'oauth4webapi'
import type { HttpClient } from '../http/types'
import { ProtocolError } from './errors'
import { isSecureOrLoopbackUrl } from './loopback-hosts'
import { requestOptions } from './oauth4'
import type { ServerMetadata } from './types'

const ALGORITHMS = ['oauth2', 'oidc'] as const
const ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'revocation_endpoint', 'device_authorization_endpoint'] as const

/**
 * Fetches the issuer's metadata from `/.well-known/oauth-authorization-server`,
 * else `/.well-known/openid-configuration`. A TransportError passes through (the
 * server is unreachable, not wrong); any other failure of both gives
 * ProtocolError('discovery_failed') naming the issuer and both URLs with the reason,
 * with the status of a 429 or 5xx answer among them (the issuer failing, not wrong).
 * `signal` (a Ctrl-C) aborts a request in flight and sends no other.
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 */
export async function discoverMetadata(issuer: string, http: HttpClient, signal?: AbortSignal): Promise<ServerMetadata> {
  const issuerUrl = URL.canParse(issuer) ? new URL(issuer) : undefined
  if (!issuerUrl) throw new ProtocolError('discovery_failed', `cannot discover metadata: issuer ${issuer} is not a URL`)
  const tried: string[] = []
  let lastError: unknown
  /** A 429 or 5xx seen on the way: the issuer is failing (exit 5), not wrongly configured. */
  let busy: number | undefined
  for (const algorithm of ALGORITHMS) {
    let url = ''
    const recordingHttp: HttpClient = (target, init) => {
      url = String(target)
      return http(target, init)
    }
    try {
      signal?.throwIfAborted()
      const response = await oauth.discoveryRequest(issuerUrl, { ...requestOptions(recordingHttp, 'form', signal), algorithm })
      return toServerMetadata(await oauth.processDiscoveryResponse(issuerUrl, response))
    } catch (err) {
      // Only an answer that is not metadata sends us to the next URL; a TransportError
      // or an insecure endpoint says something about the issuer as a whole.
      if (!(err instanceof oauth.OperationProcessingError)) throw err
      tried.push(`${url || issuer} (${reasonOf(err)})`)
      lastError = err
      const status = err.cause instanceof Response ? err.cause.status : undefined
      if (status !== undefined && (status === 429 || status >= 500)) busy = status
    }
  }
  // The issuer answered, and not with its metadata: its `issuer` (or the endpoints) in the config is what to fix.
  throw new ProtocolError('discovery_failed', `cannot discover metadata for issuer ${issuer}: tried ${tried.join(', ')}`, {
    cause: lastError,
    ...(busy === undefined ? {} : { status: busy }),
  })
}

function reasonOf(err: oauth.OperationProcessingError): string {
  switch (err.code) {
    case oauth.RESPONSE_IS_NOT_CONFORM:
      return err.cause instanceof Response ? `HTTP ${err.cause.status}` : 'unexpected HTTP status'
    case oauth.RESPONSE_IS_NOT_JSON:
    case oauth.PARSE_ERROR:
      return 'not JSON'
    case oauth.JSON_ATTRIBUTE_COMPARISON:
      return 'issuer does not match'
    default:
      return err.message
  }
}

/** Keeps the fields this tool uses, refusing endpoints a discovery document may not downgrade to http:. */
function toServerMetadata(as: oauth.AuthorizationServer): ServerMetadata {
  const metadata: ServerMetadata = { issuer: as.issuer }
  for (const name of ENDPOINTS) {
    const value = as[name]
    if (typeof value !== 'string') continue
    if (!isSecureEndpoint(value)) {
      throw new ProtocolError('insecure_endpoint', `discovered ${name} ${value} is not https: (http: is allowed only on loopback)`)
    }
    metadata[name] = value
  }
  const methods = as.code_challenge_methods_supported
  if (Array.isArray(methods)) metadata.code_challenge_methods_supported = methods.filter((m) => typeof m === 'string')
  return metadata
}

function isSecureEndpoint(value: string): boolean {
  return URL.canParse(value) && isSecureOrLoopbackUrl(new URL(value))
}
