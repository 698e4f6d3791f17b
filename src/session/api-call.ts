/**
 * The `call` use case: an authenticated API request with the stored (or
 * environment) credential, refreshed once on a 401, and the `--paginate` loop
 * that follows the provider's pagination style one page at a time. The CLI
 * builds the request from curl-shaped flags (`cli/commands/call.ts`) and
 * prints what comes back.
 */
import { requireProviderOrigin } from './api-origin'
import { bodyIterable, discardBody, MAX_BUFFERED_BODY_BYTES, readBytes } from '../http/body'
import { API_RETRY, withRetry } from '../http/retry'
import { insufficientScope } from '../http/www-authenticate'
import type { ChunkedBody, HttpClient, HttpHeaders, RequestHeaders } from '../http/types'
import { exhaustedQuota } from '../providers/quirks'
import type { PaginationStyle, ResolvedProvider } from '../providers/types'
import type { CredentialKey, StoreChoice, StoredCredential } from '../store/credential-store'
import { isRenewable } from './credentials'
import type { SessionDeps } from './deps'
import { readEnvCredential } from './env-credential'
import { getFreshCredential } from './fresh-token'
import { providerHttp } from './provider-http'
import { firstPageRequest, PaginationError, readPage, type PageStep } from './paginate'
import { credentialHeaders } from './static-credential'

export interface ApiRequest {
  method: string
  url: string
  /**
   * The caller's own (-H), lower-cased names; a name given several times has
   * each value, sent as its own line. At send time they go over the
   * credential's headers, which go over the provider's `api_headers`.
   */
  headers: RequestHeaders
  body?: string
}

/** An API answer whose body streams: read it once, chunk by chunk or whole (bounded). */
export interface ApiResponse {
  status: number
  statusText: string
  headers: HttpHeaders
  /** The body as it arrives (with the transport's push-style reader, where it has one: see http/body's forEachChunk). */
  chunks(): ChunkedBody
  /** The whole body, refused past MAX_BUFFERED_BODY_BYTES (a page, a body to pretty-print). */
  bytes(): Promise<Uint8Array>
  /** Drops the body unread (an answer that is about to be retried). */
  discard(): Promise<void>
}

/** A sender that keeps the credential fresh, for one provider and profile. */
export interface ApiSession {
  provider: ResolvedProvider
  send(request: ApiRequest): Promise<ApiResponse>
}

/**
 * How the start-up fast path (cli/fast-commands.ts) hands over a call whose
 * first answer was a 401: it sent the request, but the refresh code is not in
 * the fast build. The full CLI then refreshes first (as the 401 asked) and
 * sends once, so the API sees what it would have seen from one process.
 */
export interface CallResume {
  /** The access token a 401 already refused: refresh before the first send, and do not refresh again for it. */
  rejectedAccessToken?: string
  /** Told of a 401 that needs a refresh, before the refresh. */
  onRejected?: (accessToken: string) => void
}

/**
 * Loads the credential once. Each `send` that gets a 401 with a refreshable
 * credential refreshes once and retries once: the token may have been revoked
 * or expired early. Later sends reuse the refreshed credential.
 */
export async function openApiSession(
  provider: ResolvedProvider,
  who: { profile: string; store: StoreChoice; ownAuthorization?: boolean },
  deps: SessionDeps,
  resume: CallResume = {},
): Promise<ApiSession> {
  const key: CredentialKey = { provider: provider.name, profile: who.profile }
  // OAUTH_CLI_<PROVIDER>_TOKEN replaces the store: never opened, nothing written, no refresh.
  const fromEnv = readEnvCredential(provider, who.profile, deps.env, deps.clock.now())
  const store = fromEnv || who.ownAuthorization ? undefined : await deps.openStore(who.store)
  // Idempotent requests, and any request the server refused unprocessed (429/503), are retried with backoff.
  // A spent long-period quota (Livestorm's monthly one) is final: its reset is days away.
  const quota = provider.config.rate_limit_quota
  const http = withRetry(await providerHttp(provider, deps), API_RETRY, {
    clock: deps.clock,
    onRetry: deps.onRetry,
    isFinal: (status, headers) => exhaustedQuota(quota, status, headers, deps.clock.now()) !== undefined,
  })
  const via: Sender = { http, provider, apiHeaders: providerHeaders(provider) }
  // A user-supplied Authorization replaces the stored credential for the request (SPEC,
  // "Conventions"): nothing is loaded or refreshed, and a 401 to it is the answer.
  if (who.ownAuthorization) return { provider, send: (next) => sendOnce(via, next, undefined) }
  const resumed = resume.rejectedAccessToken !== undefined && store !== undefined
  let credential =
    fromEnv?.credential ??
    (await getFreshCredential(
      provider,
      key,
      store!,
      deps,
      resumed ? { force: true, rejectedAccessToken: resume.rejectedAccessToken } : undefined,
    ))
  // A resumed call has had its one refresh for the first send already.
  let refreshed = resumed
  const send = async (next: ApiRequest): Promise<ApiResponse> => {
    const response = await sendOnce(via, next, credential)
    const retryable = !refreshed
    refreshed = false
    if (response.status !== 401 || !store || !isRenewable(credential) || !retryable) return response
    // A good token without the scope asked for: a refresh cannot add scope, and the 401 is the answer.
    if (insufficientScope(response.headers)) return response
    await response.discard()
    resume.onRejected?.(credential.access_token)
    credential = await getFreshCredential(provider, key, store, deps, {
      force: true,
      rejectedAccessToken: credential.access_token,
    })
    return sendOnce(via, next, credential)
  }
  return { provider, send }
}

/** What every send of one session goes through: built once, not per page of --paginate. */
interface Sender {
  http: HttpClient
  provider: ResolvedProvider
  /** The provider's `api_headers`, by lower-cased name (providerHeaders). */
  apiHeaders: Record<string, string>
}

async function sendOnce(via: Sender, request: ApiRequest, credential: StoredCredential | undefined): Promise<ApiResponse> {
  const { http, provider } = via
  // Every request that carries the credential, pages included, goes to one of the provider's origins.
  requireProviderOrigin(new URL(request.url), provider)
  const filled = credential ? credentialHeaders(provider, credential) : {}
  const headers = { ...via.apiHeaders, ...filled, ...request.headers }
  const response = await http(request.url, {
    method: request.method,
    headers,
    body: request.body ?? null,
    redirect: 'manual',
    // The trace redacts these by what they are, whatever their names (a configured header pair).
    credentialHeaders: Object.keys(filled),
  })
  return {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    chunks: () => bodyIterable(response),
    bytes: () => readBytes(response, MAX_BUFFERED_BODY_BYTES, request.url),
    discard: () => discardBody(response),
  }
}

/** A provider's `api_headers` (Tidio's versioned Accept), by lower-cased name. */
function providerHeaders(provider: ResolvedProvider): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(provider.config.api_headers ?? {})) headers[name.toLowerCase()] = value
  return headers
}

/** A runaway pagination (a provider bug, a huge table) stops here, with a warning. */
export const MAX_PAGES = 1000

/**
 * What `--paginate` did. Items are handed to `onItems` page by page as they
 * arrive and are not kept. On an HTTP error status the run stops there; the
 * failing page's request and answer are passed on (its body unread) with how
 * many pages and items came before it.
 */
export type PaginatedOutcome =
  | { kind: 'complete'; pages: number; items: number; truncated: boolean }
  | { kind: 'http_error'; request: ApiRequest; response: ApiResponse; pages: number; items: number; provider: ResolvedProvider }
  /** The first page holds no list: the endpoint does not paginate. Its body, read, is handed back. */
  | { kind: 'not_a_list'; response: ApiResponse; body: Uint8Array; reason: string }

/** Told of each page as it arrives: its answer (body already read) and its items. */
export type PageSink = (items: unknown[], page: ApiResponse) => Promise<void>

/**
 * Follows the provider's pagination style (`pagination` in its entry; `link`,
 * RFC 8288, for a provider that names none) from `first`, one page in memory
 * at a time.
 * @throws PaginationError when the pages cannot be followed
 */
export async function sendPaginated(
  session: ApiSession,
  first: ApiRequest,
  onItems: PageSink,
  limits: { maxPages: number } = { maxPages: MAX_PAGES },
): Promise<PaginatedOutcome> {
  const name = session.provider.name
  const style: PaginationStyle = session.provider.config.pagination ?? 'link'
  const seen = new Set<string>()
  let pages = 0
  let items = 0
  let request: ApiRequest | undefined = firstPageRequest(style, first)
  while (request !== undefined) {
    if (pages >= limits.maxPages) return { kind: 'complete', pages, items, truncated: true }
    const key = `${request.url}\n${request.body ?? ''}`
    if (seen.has(key)) throw new PaginationError(`${name} pointed back at a page already fetched; stopping to avoid a loop`)
    seen.add(key)
    const response = await session.send(request)
    if (response.status >= 400) return { kind: 'http_error', request, response, pages, items, provider: session.provider }
    pages++
    const page = await readPageAt(style, request, response, pages, name)
    if (page.kind === 'not_a_list') return page
    items += page.step.items.length
    await onItems(page.step.items, response)
    request = page.step.next
  }
  return { kind: 'complete', pages, items, truncated: false }
}

/**
 * Page `n`'s items and the request for the next page. Page 1 may show that
 * the endpoint is not a list at all (`--paginate` on `/me`): then its body,
 * read, is the answer.
 * @throws PaginationError when a later page is not JSON or cannot be followed
 */
async function readPageAt(
  style: PaginationStyle,
  request: ApiRequest,
  response: ApiResponse,
  n: number,
  name: string,
): Promise<{ kind: 'page'; step: PageStep } | Extract<PaginatedOutcome, { kind: 'not_a_list' }>> {
  const body = await response.bytes()
  const notAList = (reason: string) => ({ kind: 'not_a_list' as const, response: replayed(response, body), body, reason })
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder().decode(body))
  } catch {
    if (n === 1) return notAList('not JSON')
    throw new PaginationError(
      `page ${n} from ${name} is not JSON (HTTP ${response.status}), so pages cannot be merged`,
      'run the same call without --paginate to see the body',
    )
  }
  try {
    return { kind: 'page', step: readPage(style, request, { headers: response.headers, json }) }
  } catch (err) {
    if (!(err instanceof PaginationError)) throw err
    if (n === 1 && err.notAList) return notAList(err.message)
    throw new PaginationError(`cannot follow ${name}'s pages (${style}) at page ${n}: ${err.message}`, err.hint)
  }
}

/** The answer with its body already read: it replays those bytes, so it can be both shown and read again. */
export function replayed(response: ApiResponse, body: Uint8Array): ApiResponse {
  return {
    ...response,
    chunks: async function* () {
      yield body
    },
    bytes: async () => body,
    discard: async () => {},
  }
}
