/**
 * `call --paginate`: how to get from one page to the next, per pagination
 * style (a declarative provider field), as pure functions of the request sent
 * and the page received. The loop that sends requests is `sendPaginated` in
 * api-call.ts.
 */
import type { HttpHeaders } from '../http/types'
import type { PaginationStyle } from '../providers/types'
import type { ApiRequest } from './api-call'

/** One received page: its headers and the parsed JSON body. */
export interface ReceivedPage {
  headers: HttpHeaders
  json: unknown
}

export interface PageStep {
  items: unknown[]
  /** The request for the next page; undefined on the last page. */
  next: ApiRequest | undefined
}

/** Why pages cannot be followed; the command turns it into an exit code. */
export class PaginationError extends Error {
  readonly hint: string | undefined
  /** The page holds no list at all (an object without an array field, a scalar): not a paginated endpoint. */
  readonly notAList: boolean
  constructor(message: string, hint?: string, options: { notAList?: boolean } = {}) {
    super(message)
    this.name = 'PaginationError'
    this.hint = hint
    this.notAList = options.notAList ?? false
  }
}

/** Livestorm's largest page: fewer round trips within its 5 requests/s burst limit. */
export const JSONAPI_MAX_PAGE_SIZE = 50

/**
 * The first request, adjusted for the style: a JSON:API request without
 * `page[size]` asks for the largest page; a `next_page_id` request without a
 * body (LiveChat's `list_*` actions, given no -d) is sent as every later page
 * is, a POST of `{}` in JSON: its API is RPC over POST with a JSON body, even
 * for reads (shared/providers.md, LiveChat "API base and versions"), so a
 * bodyless GET only fetched an error. Everything the user set is kept.
 * @see https://developers.livestorm.co/docs/pagination
 * @see https://platform.text.com/docs/messaging/agent-chat-api#pagination
 */
export function firstPageRequest(style: PaginationStyle, request: ApiRequest): ApiRequest {
  if (style === 'next_page_id') {
    if (request.body !== undefined) return request
    return { ...request, method: 'POST', headers: withJsonContentType(request.headers), body: '{}' }
  }
  if (style !== 'jsonapi_page') return request
  const url = new URL(request.url)
  if (url.searchParams.has('page[size]')) return request
  url.searchParams.set('page[size]', String(JSONAPI_MAX_PAGE_SIZE))
  return { ...request, url: url.toString() }
}

/** The items of a page and the request for the next one. */
export function readPage(style: PaginationStyle, request: ApiRequest, page: ReceivedPage): PageStep {
  const items = extractItems(style, page.json)
  return { items, next: nextPageRequest(style, request, page) }
}

/**
 * The request for the page after `page`, or undefined when it was the last.
 * @throws PaginationError when the provider points back at the same page, or elsewhere
 */
export function nextPageRequest(style: PaginationStyle, request: ApiRequest, page: ReceivedPage): ApiRequest | undefined {
  switch (style) {
    case 'jsonapi_page':
      return nextJsonApiPage(request, page.json)
    case 'cursor':
      return nextCursorPage(request, page.json)
    case 'next_page_id':
      return nextPageIdPage(request, page.json)
    case 'link':
      return nextLinkPage(request, page.headers)
    default: {
      const never: never = style
      throw new PaginationError(`unknown pagination style ${String(never)}`)
    }
  }
}

/**
 * Livestorm: `meta.next_page` is the next 0-based `page[number]`, null on the
 * last page. Asking past the end is a 400, so never guess beyond `page_count`.
 * @see https://developers.livestorm.co/docs/pagination
 */
function nextJsonApiPage(request: ApiRequest, json: unknown): ApiRequest | undefined {
  const meta = objectField(json, 'meta')
  const next = toPageNumber(meta?.next_page)
  if (next === undefined) return undefined
  const url = new URL(request.url)
  const current = toPageNumber(url.searchParams.get('page[number]') ?? 0)
  if (current !== undefined && next <= current) {
    throw new PaginationError(`the provider's meta.next_page (${next}) does not move past page ${current}`)
  }
  url.searchParams.set('page[number]', String(next))
  return { ...request, url: url.toString() }
}

/**
 * Tidio: `meta.cursor` goes back as `?cursor=`, and is null on the last page.
 * @see https://developers.tidio.com/api/latest
 */
function nextCursorPage(request: ApiRequest, json: unknown): ApiRequest | undefined {
  const cursor = objectField(json, 'meta')?.cursor
  if (typeof cursor !== 'string' || cursor === '') return undefined
  const url = new URL(request.url)
  if (url.searchParams.get('cursor') === cursor) {
    throw new PaginationError('the provider returned the same cursor twice; stopping to avoid a loop')
  }
  url.searchParams.set('cursor', cursor)
  return { ...request, url: url.toString() }
}

/**
 * LiveChat: list actions answer `next_page_id`, which the next request sends
 * as `page_id` in its JSON body. `filters`, `limit` and `sort_order` may not
 * go with `page_id`: the first request's are remembered by the server.
 * Whatever the first request looked like (a GET, no body, a text label), the
 * next one is what the API takes: RPC over POST with a JSON body
 * (shared/providers.md, LiveChat "API base and versions"; Differences 9).
 * @see https://platform.text.com/docs/messaging/agent-chat-api#pagination
 */
function nextPageIdPage(request: ApiRequest, json: unknown): ApiRequest | undefined {
  const pageId = isObject(json) ? json.next_page_id : undefined
  if (typeof pageId !== 'string' || pageId === '') return undefined
  const body = parseObjectBody(request.body)
  if (body.page_id === pageId) {
    throw new PaginationError('the provider returned the same next_page_id twice; stopping to avoid a loop')
  }
  const { filters: _f, limit: _l, sort_order: _s, ...rest } = body
  return { ...request, method: 'POST', headers: withJsonContentType(request.headers), body: JSON.stringify({ ...rest, page_id: pageId }) }
}

/** The headers with a JSON Content-Type: the caller's own when it is one (`application/json; charset=utf-8`). */
function withJsonContentType(headers: ApiRequest['headers']): ApiRequest['headers'] {
  const given = headers['content-type']
  if (typeof given === 'string' && /^application\/json\s*(;|$)/i.test(given)) return headers
  return { ...headers, 'content-type': 'application/json' }
}

function parseObjectBody(body: string | undefined): Record<string, unknown> {
  if (body === undefined || body.trim() === '') return {}
  try {
    const parsed: unknown = JSON.parse(body)
    if (isObject(parsed)) return parsed
  } catch {
    // reported below
  }
  throw new PaginationError('next_page_id pagination needs a JSON object request body', "pass one with -d, e.g. -d '{}'")
}

/**
 * RFC 8288 `Link: <url>; rel="next"`. The next URL must stay on the same
 * origin: credentials are never sent where the first request did not go.
 * @see https://www.rfc-editor.org/rfc/rfc8288#section-3
 */
function nextLinkPage(request: ApiRequest, headers: HttpHeaders): ApiRequest | undefined {
  const target = findLink(headers.get('link'), 'next')
  if (target === undefined) return undefined
  const current = new URL(request.url)
  let next: URL
  try {
    next = new URL(target, current)
  } catch {
    throw new PaginationError(`the Link header's next URL is not a URL: ${target}`)
  }
  if (next.origin !== current.origin) {
    throw new PaginationError(`the next page is on ${next.origin}, not ${current.origin}; not sending credentials there`)
  }
  return { ...request, url: next.toString() }
}

/**
 * The target of the first link with relation `rel` in a Link header value.
 * `rel` may hold several space-separated relation types; they compare case-insensitively.
 * @see https://www.rfc-editor.org/rfc/rfc8288#section-3.3
 */
export function findLink(header: string | null, rel: string): string | undefined {
  if (!header) return undefined
  // Each link is `<target>` followed by its parameters, up to the next `<`.
  for (const match of header.matchAll(/<([^>]*)>([^<]*)/g)) {
    const params = match[2] ?? ''
    const relMatch = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]*))/i.exec(params)
    const rels = (relMatch?.[1] ?? relMatch?.[2] ?? '').toLowerCase().split(/\s+/)
    if (rels.includes(rel.toLowerCase())) return match[1]
  }
  return undefined
}

/** Field names that hold the list when a page has more than one array. */
const PREFERRED_ITEM_FIELDS = ['data', 'items', 'results']
/** Top-level fields that describe the page rather than hold its items. */
const PAGE_METADATA_FIELDS = new Set(['meta', 'links', 'included', 'errors'])

/**
 * The items of one page: a top-level array as it is; JSON:API's `data`;
 * otherwise the one array-valued field (LiveChat's `chats_summary`, Tidio's `contacts`).
 * @throws PaginationError when no field, or no single field, holds the items
 */
export function extractItems(style: PaginationStyle, json: unknown): unknown[] {
  if (Array.isArray(json)) return json
  if (!isObject(json)) throw new PaginationError('the page is not a JSON object or array, so it has no items to merge', undefined, { notAList: true })
  if (style === 'jsonapi_page' && 'data' in json) return Array.isArray(json.data) ? json.data : [json.data]
  const arrays = Object.keys(json).filter((key) => Array.isArray(json[key]) && !PAGE_METADATA_FIELDS.has(key))
  const preferred = PREFERRED_ITEM_FIELDS.find((key) => arrays.includes(key))
  const field = arrays.length === 1 ? arrays[0] : preferred
  if (field === undefined) {
    const found = arrays.length === 0 ? 'no array field' : `several array fields (${arrays.join(', ')})`
    throw new PaginationError(`cannot tell which field of the page holds the items: it has ${found}`, undefined, { notAList: arrays.length === 0 })
  }
  return json[field] as unknown[]
}

function toPageNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

function objectField(json: unknown, key: string): Record<string, unknown> | undefined {
  if (!isObject(json)) return undefined
  const value = json[key]
  return isObject(value) ? value : undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
