/** `oauth-cli call <provider> <path-or-url>`: curl-shaped authenticated requests. */
import { redactHeaders } from '../../http/redact'
import type { HttpClient } from '../../http/types'
import type { ResolvedProvider } from '../../providers/types'
import { getFreshCredential } from '../../session/fresh-token'
import { loadProvider } from '../../session/provider-context'
import { credentialHeaders } from '../../session/static-credential'
import type { CredentialKey, CredentialStore, StoredCredential } from '../../store/credential-store'
import type { Deps } from '../deps'
import { HttpStatusError, UsageError, type ExitCode } from '../errors'
import type { CallOptions } from '../options'

export interface ApiRequest {
  method: string
  url: string
  /** Lower-cased names; credential headers are added at send time, not here. */
  headers: Record<string, string>
  body?: string
}

export interface ApiResponse {
  status: number
  statusText: string
  headers: Headers
  body: Uint8Array
}

/**
 * Builds the request from flags — pure. A path is joined to `api_base_url`; an
 * absolute URL must be on one of the provider's own hosts, so credentials are
 * never sent elsewhere by a typo.
 */
export function buildApiRequest(opts: CallOptions, provider: ResolvedProvider, body: string | undefined): ApiRequest {
  if (opts.data !== undefined && opts.jsonBody !== undefined) throw new UsageError('use either -d/--data or --json, not both')
  const url = resolveTarget(opts.target, provider)
  for (const pair of opts.query) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new UsageError(`-q expects key=value, got "${pair}"`)
    url.searchParams.append(pair.slice(0, at), pair.slice(at + 1))
  }
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(provider.config.api_headers ?? {})) headers[name.toLowerCase()] = value
  for (const raw of opts.headers) {
    const at = raw.indexOf(':')
    if (at <= 0) throw new UsageError(`-H expects 'Name: value', got "${raw}"`)
    headers[raw.slice(0, at).trim().toLowerCase()] = raw.slice(at + 1).trim()
  }
  if (body !== undefined && headers['content-type'] === undefined) {
    headers['content-type'] = opts.jsonBody !== undefined || looksLikeJson(body) ? 'application/json' : 'application/x-www-form-urlencoded'
  }
  const method = (opts.method ?? (body !== undefined ? 'POST' : 'GET')).toUpperCase()
  return { method, url: url.toString(), headers, body }
}

function looksLikeJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

function resolveTarget(target: string, provider: ResolvedProvider): URL {
  const base = provider.config.api_base_url
  if (/^https?:\/\//i.test(target)) {
    const url = new URL(target)
    if (!providerHosts(provider).has(url.host)) {
      throw new UsageError(`refusing to send ${provider.name} credentials to ${url.host}, which is not one of its hosts`, {
        hint: `use a path relative to ${base ?? 'the api_base_url'}, or set api_base_url for ${provider.name} in the config file`,
      })
    }
    return url
  }
  if (!base) {
    throw new UsageError(`${provider.name} has no api_base_url, so "${target}" cannot be resolved`, {
      hint: `pass a full URL, or set api_base_url for ${provider.name} in the config file`,
    })
  }
  const baseUrl = new URL(base)
  const basePath = baseUrl.pathname.replace(/\/+$/, '')
  const path = target.startsWith('/') ? target : `/${target}`
  // `call livestorm /v1/events` and `call livestorm /events` both mean the same thing.
  const joined = basePath && (path === basePath || path.startsWith(`${basePath}/`)) ? path : `${basePath}${path}`
  return new URL(joined, baseUrl.origin)
}

function providerHosts(provider: ResolvedProvider): Set<string> {
  const c = provider.config
  const hosts = new Set<string>()
  for (const value of [c.api_base_url, c.issuer, c.authorization_endpoint, c.token_endpoint, c.revocation_endpoint]) {
    if (!value) continue
    try {
      hosts.add(new URL(value).host)
    } catch {
      // validated elsewhere
    }
  }
  return hosts
}

/** Reads `-d`/`--json` values: text, `@file`, or `@-` for stdin. */
export async function readBody(opts: CallOptions, deps: Deps): Promise<string | undefined> {
  const spec = opts.jsonBody ?? opts.data
  if (spec === undefined) return undefined
  if (spec === '@-') return deps.io.readStdin()
  if (spec.startsWith('@')) {
    const text = await deps.readTextFile(spec.slice(1))
    if (text === undefined) throw new UsageError(`cannot read the body file ${spec.slice(1)}: it does not exist`)
    return text
  }
  return spec
}

export async function runCall(opts: CallOptions, deps: Deps): Promise<ApiResponse> {
  if (opts.paginate) {
    throw new UsageError('--paginate is not available yet', { hint: 'call each page with -q (e.g. -q page[number]=1)' })
  }
  const provider = await loadProvider(opts.provider, { config: opts.config }, deps)
  const request = buildApiRequest(opts, provider, await readBody(opts, deps))
  const store = await deps.openStore(opts.store)
  const key: CredentialKey = { provider: provider.name, profile: opts.profile }
  const http = await deps.http()
  let credential = await getFreshCredential(provider, key, store, deps)
  let response = await send(http, request, provider, credential)
  if (response.status === 401 && credential.kind === 'oauth' && credential.refresh_token) {
    // One refresh and one retry: the token may have been revoked or expired early.
    credential = await getFreshCredential(provider, key, store, deps, {
      force: true,
      rejectedAccessToken: credential.access_token,
    })
    response = await send(http, request, provider, credential)
  }
  return response
}

async function send(
  http: HttpClient,
  request: ApiRequest,
  provider: ResolvedProvider,
  credential: StoredCredential,
): Promise<ApiResponse> {
  const headers = { ...credentialHeaders(provider, credential), ...request.headers }
  const response = await http(request.url, { method: request.method, headers, body: request.body ?? null, redirect: 'manual' })
  return {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    body: new Uint8Array(await response.arrayBuffer()),
  }
}

export function formatIncluded(response: ApiResponse): string {
  const lines = [`HTTP/1.1 ${response.status} ${response.statusText}`.trimEnd()]
  for (const [name, value] of Object.entries(redactHeaders(response.headers))) lines.push(`${name}: ${value}`)
  return `${lines.join('\r\n')}\r\n\r\n`
}

export async function executeCall(opts: CallOptions, deps: Deps): Promise<ExitCode> {
  const response = await runCall(opts, deps)
  if (opts.include) deps.io.stdout.write(formatIncluded(response))
  deps.io.stdout.write(response.body)
  if (response.status >= 400) {
    throw new HttpStatusError(
      response.status,
      `${opts.provider} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
      response.status === 401 || response.status === 403
        ? { hint: `the credentials were refused; check the scopes, or run: oauth-cli login ${opts.provider}${opts.profile === 'default' ? '' : ` --profile ${opts.profile}`}` }
        : {},
    )
  }
  return 0
}
