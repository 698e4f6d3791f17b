import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ITEM_COUNT, listItems, MAX_PAGE_SIZE, pageMeta, parsePageRequest } from '../../../src/sandbox/items'

describe('pageMeta', () => {
  it.each([
    [0, 20, 120, { current_page: 0, previous_page: null, next_page: 1, page_count: 6, record_count: 120, items_per_page: 20 }],
    [5, 20, 120, { current_page: 5, previous_page: 4, next_page: null, page_count: 6, record_count: 120, items_per_page: 20 }],
    [2, 50, 120, { current_page: 2, previous_page: 1, next_page: null, page_count: 3, record_count: 120, items_per_page: 50 }],
    [0, 20, 0, { current_page: 0, previous_page: null, next_page: null, page_count: 1, record_count: 0, items_per_page: 20 }],
  ])('page %i of size %i over %i records', (number, size, total, expected) => {
    expect(pageMeta(number, size, total)).toEqual(expected)
  })
})

describe('parsePageRequest', () => {
  it('defaults to the first page of 20', () => {
    expect(parsePageRequest(new URLSearchParams())).toEqual({ ok: true, number: 0, size: 20 })
  })

  it('reads JSON:API page parameters', () => {
    expect(parsePageRequest(new URLSearchParams('page[number]=3&page[size]=7'))).toEqual({ ok: true, number: 3, size: 7 })
  })

  it.each(['page[number]=-1', 'page[number]=x', 'page[size]=0', `page[size]=${MAX_PAGE_SIZE + 1}`, 'page[size]=2.5', 'page[number]=1&page[number]=2'])(
    'refuses %s',
    (query) => {
      expect(parsePageRequest(new URLSearchParams(query)).ok).toBe(false)
    },
  )
})

describe('listItems', () => {
  it('refuses a page past the last one, as Livestorm does', () => {
    expect(listItems(6, 20)).toEqual({ ok: false, detail: expect.stringContaining('page 6 does not exist') })
  })

  it('walks every item exactly once, in order, whatever the page size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_PAGE_SIZE }), (size) => {
        const ids: string[] = []
        let page: number | null = 0
        while (page !== null) {
          const listed = listItems(page, size)
          if (!listed.ok) throw new Error(listed.detail)
          ids.push(...listed.data.map((item) => item.id))
          page = listed.meta.next_page
        }
        expect(ids).toHaveLength(ITEM_COUNT)
        expect(new Set(ids).size).toBe(ITEM_COUNT)
        expect(ids[0]).toBe('item-001')
        expect(ids.at(-1)).toBe('item-120')
      }),
      { numRuns: 50 },
    )
  })
})
