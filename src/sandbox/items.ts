/**
 * The sandbox API's `/items` collection and its JSON:API-style pages, shaped
 * like Livestorm's (0-based `page[number]`, `page[size]` up to 50, a `meta`
 * block, 400 for a page that does not exist). Pure.
 * @see https://developers.livestorm.co/docs/pagination
 */

export const ITEM_COUNT = 120
export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 50

export interface SandboxItem {
  type: 'items'
  id: string
  attributes: { name: string; position: number; created_at: string }
}

export interface PageMeta {
  current_page: number
  previous_page: number | null
  next_page: number | null
  page_count: number
  record_count: number
  items_per_page: number
}

export type PageRequest = { ok: true; number: number; size: number } | { ok: false; detail: string }

/** Reads `page[number]` and `page[size]`: absent means the defaults, anything else must be a fitting integer. */
export function parsePageRequest(query: URLSearchParams): PageRequest {
  const number = readInteger(query, 'page[number]', 0)
  const size = readInteger(query, 'page[size]', DEFAULT_PAGE_SIZE)
  if (number === undefined || number < 0) return { ok: false, detail: 'page[number] must be an integer from 0' }
  if (size === undefined || size < 1 || size > MAX_PAGE_SIZE) {
    return { ok: false, detail: `page[size] must be an integer from 1 to ${MAX_PAGE_SIZE}` }
  }
  return { ok: true, number, size }
}

function readInteger(query: URLSearchParams, name: string, fallback: number): number | undefined {
  const values = query.getAll(name)
  if (values.length === 0) return fallback
  const [value] = values
  if (values.length > 1 || value === undefined || !/^\d{1,6}$/.test(value)) return undefined
  return Number(value)
}

/** The numbers of one page of `total` records; page 0 always exists, even when there are none. */
export function pageMeta(number: number, size: number, total: number): PageMeta {
  const pageCount = Math.max(1, Math.ceil(total / size))
  return {
    current_page: number,
    previous_page: number > 0 ? number - 1 : null,
    next_page: number + 1 < pageCount ? number + 1 : null,
    page_count: pageCount,
    record_count: total,
    items_per_page: size,
  }
}

/** The same item every time for the same position, so pages can be compared. */
export function itemAt(position: number): SandboxItem {
  const id = `item-${String(position + 1).padStart(3, '0')}`
  const created = new Date(Date.UTC(2026, 0, 1) + position * 3_600_000).toISOString()
  return { type: 'items', id, attributes: { name: `Sandbox item ${position + 1}`, position, created_at: created } }
}

export type ItemsPage = { ok: true; data: SandboxItem[]; meta: PageMeta } | { ok: false; detail: string }

/** One page of the collection, or why it does not exist. */
export function listItems(number: number, size: number, total: number = ITEM_COUNT): ItemsPage {
  const meta = pageMeta(number, size, total)
  if (number >= meta.page_count) {
    return { ok: false, detail: `page ${number} does not exist: there are ${meta.page_count} pages of ${size}` }
  }
  const first = number * size
  const count = Math.min(size, total - first)
  return { ok: true, data: Array.from({ length: Math.max(0, count) }, (_, i) => itemAt(first + i)), meta }
}
