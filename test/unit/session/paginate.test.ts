import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  extractItems,
  findLink,
  firstPageRequest,
  nextPageRequest,
  PaginationError,
  readPage,
} from '../../../src/session/paginate'
import type { ApiRequest } from '../../../src/session/api-call'

function page(path: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../fixtures/pages/${path}`, import.meta.url), 'utf8'))
}

const get = (url: string): ApiRequest => ({ method: 'GET', url, headers: {} })
const noHeaders = new Headers()

describe('Livestorm JSON:API pages', () => {
  const first = get('https://api.livestorm.co/v1/events?filter[status]=published')

  it('asks for the largest page when page[size] is not given, and keeps what the user set', () => {
    const url = new URL(firstPageRequest('jsonapi_page', first).url)
    expect(url.searchParams.get('page[size]')).toBe('50')
    expect(url.searchParams.get('filter[status]')).toBe('published')
    const own = get('https://api.livestorm.co/v1/events?page[size]=10')
    expect(firstPageRequest('jsonapi_page', own)).toBe(own)
  })

  it('follows meta.next_page from page 0 to the last page, collecting data', () => {
    const step0 = readPage('jsonapi_page', first, { headers: noHeaders, json: page('livestorm/events-page-0.json') })
    expect(step0.items.map((i) => (i as { id: string }).id)).toEqual(['ev-1', 'ev-2'])
    expect(new URL(step0.next!.url).searchParams.get('page[number]')).toBe('1')
    expect(new URL(step0.next!.url).searchParams.get('filter[status]')).toBe('published')

    const step1 = readPage('jsonapi_page', step0.next!, { headers: noHeaders, json: page('livestorm/events-page-1.json') })
    expect(new URL(step1.next!.url).searchParams.get('page[number]')).toBe('2')

    const step2 = readPage('jsonapi_page', step1.next!, { headers: noHeaders, json: page('livestorm/events-page-2.json') })
    expect(step2.items).toHaveLength(1)
    expect(step2.next).toBeUndefined()
  })

  it('refuses a next_page that does not move forward', () => {
    const request = get('https://api.livestorm.co/v1/events?page[number]=2')
    expect(() => nextPageRequest('jsonapi_page', request, { headers: noHeaders, json: { data: [], meta: { next_page: 2 } } })).toThrow(
      PaginationError,
    )
  })
})

describe('Tidio cursor pages', () => {
  it('sends meta.cursor back as ?cursor= until it is null', () => {
    const first = get('https://api.tidio.com/contacts')
    const step1 = readPage('cursor', first, { headers: noHeaders, json: page('tidio/contacts-1.json') })
    expect(step1.items).toHaveLength(2)
    expect(new URL(step1.next!.url).searchParams.get('cursor')).toBe('eyJpZCI6MiwicGFnZSI6Mn0')
    const step2 = readPage('cursor', step1.next!, { headers: noHeaders, json: page('tidio/contacts-2.json') })
    expect(step2.items).toEqual([{ id: 'c0a8a3b2-0003', email: 'linus@example.com', first_name: 'Linus' }])
    expect(step2.next).toBeUndefined()
  })

  it('stops with an error when the same cursor comes back', () => {
    const request = get('https://api.tidio.com/contacts?cursor=abc')
    expect(() => nextPageRequest('cursor', request, { headers: noHeaders, json: { contacts: [], meta: { cursor: 'abc' } } })).toThrow(
      /same cursor twice/,
    )
  })
})

describe('LiveChat next_page_id pages', () => {
  const first: ApiRequest = {
    method: 'POST',
    url: 'https://api.livechatinc.com/v3.6/agent/action/list_chats',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filters: { active: true }, limit: 2, sort_order: 'asc' }),
  }

  it('sends next_page_id as page_id in the body, without filters, limit or sort_order', () => {
    const step1 = readPage('next_page_id', first, { headers: noHeaders, json: page('livechat/list_chats-1.json') })
    expect(step1.items.map((c) => (c as { id: string }).id)).toEqual(['PJ0MRSHTDG', 'PJ0MRSHTDH'])
    expect(step1.next).toEqual({ ...first, body: JSON.stringify({ page_id: 'MTUxNzM5ODEzMTQ5Ng==' }) })
    const step2 = readPage('next_page_id', step1.next!, { headers: noHeaders, json: page('livechat/list_chats-2.json') })
    expect(step2.items).toHaveLength(1)
    expect(step2.next).toBeUndefined()
  })

  it('keeps other body fields such as chat_id for list_threads', () => {
    const request = { ...first, body: '{"chat_id":"PJ0MRSHTDG","limit":5}' }
    const next = nextPageRequest('next_page_id', request, { headers: noHeaders, json: { threads: [], next_page_id: 'p2' } })
    expect(JSON.parse(next!.body!)).toEqual({ chat_id: 'PJ0MRSHTDG', page_id: 'p2' })
  })

  it('asks for a JSON object body when the first request had none that parses', () => {
    const request = { ...first, body: 'a=1' }
    expect(() => nextPageRequest('next_page_id', request, { headers: noHeaders, json: { chats_summary: [], next_page_id: 'p2' } })).toThrow(
      /JSON object request body/,
    )
  })
})

describe('Link header pages (RFC 8288)', () => {
  const first = get('https://api.acme.example/v1/items?per_page=2')

  it('follows rel="next" until there is none', () => {
    const headers = new Headers({
      link: '<https://api.acme.example/v1/items?per_page=2&page=2>; rel="next", <https://api.acme.example/v1/items?per_page=2&page=2>; rel="last"',
    })
    const step1 = readPage('link', first, { headers, json: page('link/items-1.json') })
    expect(step1.items).toHaveLength(2)
    expect(step1.next!.url).toBe('https://api.acme.example/v1/items?per_page=2&page=2')
    const step2 = readPage('link', step1.next!, { headers: new Headers({ link: '<https://api.acme.example/v1/items?page=1>; rel="first"' }), json: page('link/items-2.json') })
    expect(step2.next).toBeUndefined()
  })

  it('resolves a relative next link against the request URL', () => {
    const next = nextPageRequest('link', first, { headers: new Headers({ link: '</v1/items?page=3>; rel=next' }), json: [] })
    expect(next!.url).toBe('https://api.acme.example/v1/items?page=3')
  })

  it('never follows a next link to another origin with credentials', () => {
    const headers = new Headers({ link: '<https://evil.example/steal>; rel="next"' })
    expect(() => nextPageRequest('link', first, { headers, json: [] })).toThrow(/not sending credentials there/)
  })

  it.each([
    ['<a>; rel="prev", <b>; rel="next"', 'b'],
    ['<a>; rel="next last"', 'a'],
    ['<a>;rel=NEXT', 'a'],
    ['<a>; title="x, y"; rel="next"', 'a'],
    ['<a>; rel="nextish"', undefined],
    ['', undefined],
  ])('finds rel=next in %j', (header, target) => {
    expect(findLink(header, 'next')).toBe(target)
  })
})

describe('extractItems', () => {
  it.each([
    ['a top-level array', [1, 2], [1, 2]],
    ['the single array field', { contacts: [1], meta: { cursor: null } }, [1]],
    ['data among several arrays', { data: [1], other: [2] }, [1]],
  ])('takes %s', (_what, json, items) => {
    expect(extractItems('cursor', json)).toEqual(items)
  })

  it('says which fields are ambiguous', () => {
    expect(() => extractItems('link', { a: [1], b: [2] })).toThrow(/several array fields \(a, b\)/)
    expect(() => extractItems('link', { total: 3 })).toThrow(/no array field/)
    expect(() => extractItems('link', 'text')).toThrow(PaginationError)
  })
})
