import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { executeCall, runPaginatedCall } from '../../../src/cli/commands/call'
import { MAX_PAGES } from '../../../src/session/api-call'
import { HttpStatusError } from '../../../src/cli/errors'
import { jsonResponse, recordingHttp } from '../../fakes'
import { ACME } from '../session/helpers'
import { callDeps, callOptions, stripAnsi } from './call-support'

function fixture(path: string): string {
  return readFileSync(new URL(`../../fixtures/pages/${path}`, import.meta.url), 'utf8')
}

function page(path: string, headers: Record<string, string> = {}, status = 200): Response {
  return new Response(fixture(path), { status, headers: { 'content-type': 'application/json', ...headers } })
}

/** Livestorm answers by page[number]; asking past the last page is a 400, as documented. */
const livestorm = () =>
  recordingHttp((url) => {
    const n = new URL(url).searchParams.get('page[number]') ?? '0'
    return n === '0' || n === '1' || n === '2'
      ? page(`livestorm/events-page-${n}.json`, { 'content-type': 'application/vnd.api+json' })
      : page('livestorm/error-400.json', {}, 400)
  })

const ids = (text: string) => (JSON.parse(text) as Array<{ id: string | number }>).map((item) => item.id)

describe('call --paginate, Livestorm JSON:API pages', () => {
  it('asks for page[size]=50, follows page[number] from 0 and prints one compact array when piped', async () => {
    const http = livestorm()
    const { deps } = await callDeps('livestorm', http)
    expect(await executeCall(callOptions({ provider: 'livestorm', target: '/events', paginate: true }), deps)).toBe(0)
    expect(http.calls.map((c) => decodeURIComponent(new URL(c.url).search))).toEqual([
      '?page[size]=50',
      '?page[size]=50&page[number]=1',
      '?page[size]=50&page[number]=2',
    ])
    expect(http.calls.every((c) => c.headers.get('authorization') === 'ls-api-token-0000')).toBe(true)
    expect(ids(deps.io.stdoutText)).toEqual(['ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-5'])
    expect(deps.io.stdoutText).not.toContain('\n ')
    expect(deps.io.stdoutText.endsWith(']\n')).toBe(true)
  })

  it('writes the first page\'s items before asking for the next page (--ndjson and the merged array)', async () => {
    for (const ndjson of [true, false]) {
      let printedBeforePage2 = ''
      const base = livestorm()
      const { deps } = await callDeps('livestorm', recordingHttp(async (url, init) => {
        if (new URL(url).searchParams.get('page[number]') === '1') printedBeforePage2 = deps.io.stdoutText
        return (await base(url, init)) as Response
      }))
      await executeCall(callOptions({ provider: 'livestorm', target: '/events', paginate: true, ndjson }), deps)
      expect(printedBeforePage2).toContain('"ev-1"')
      expect(printedBeforePage2).not.toContain('"ev-3"')
    }
  })

  it('prints one item per line with --ndjson', async () => {
    const { deps } = await callDeps('livestorm', livestorm())
    await executeCall(callOptions({ provider: 'livestorm', target: '/events', paginate: true, ndjson: true }), deps)
    const lines = deps.io.stdoutText.trimEnd().split('\n')
    expect(lines.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(['ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-5'])
  })

  it('indents (and colours where allowed) the merged array on a terminal', async () => {
    const { deps } = await callDeps('livestorm', livestorm(), { tty: true, color: true })
    await executeCall(callOptions({ provider: 'livestorm', target: '/events', paginate: true }), deps)
    expect(deps.io.stdoutText).toContain('\u001b[')
    expect(ids(stripAnsi(deps.io.stdoutText))).toHaveLength(5)
    expect(stripAnsi(deps.io.stdoutText)).toMatch(/^\[\n  \{\n    "id": "ev-1"/)
  })
})

describe('call --paginate, Tidio cursor pages', () => {
  it('sends meta.cursor back until it is null, with Tidio\'s headers on every page', async () => {
    const http = recordingHttp((url) =>
      new URL(url).searchParams.has('cursor') ? page('tidio/contacts-2.json') : page('tidio/contacts-1.json'),
    )
    const { deps } = await callDeps('tidio', http)
    await executeCall(callOptions({ provider: 'tidio', target: '/contacts', paginate: true }), deps)
    expect(http.calls.map((c) => c.url)).toEqual([
      'https://api.tidio.com/contacts',
      'https://api.tidio.com/contacts?cursor=eyJpZCI6MiwicGFnZSI6Mn0',
    ])
    expect(http.calls.every((c) => c.headers.get('accept') === 'application/json; version=1')).toBe(true)
    expect(ids(deps.io.stdoutText)).toEqual(['c0a8a3b2-0001', 'c0a8a3b2-0002', 'c0a8a3b2-0003'])
  })
})

describe('call --paginate, LiveChat next_page_id', () => {
  it('posts page_id in the body for the next page and merges chats_summary', async () => {
    const http = recordingHttp((_url, init) =>
      (JSON.parse(init.body) as { page_id?: string }).page_id ? page('livechat/list_chats-2.json') : page('livechat/list_chats-1.json'),
    )
    const { deps } = await callDeps('livechat', http)
    const opts = callOptions({
      provider: 'livechat', target: '/v3.6/agent/action/list_chats', paginate: true, data: '{"filters":{"active":false},"limit":2}',
    })
    await executeCall(opts, deps)
    expect(http.calls.map((c) => [c.method, c.body])).toEqual([
      ['POST', '{"filters":{"active":false},"limit":2}'],
      ['POST', '{"page_id":"MTUxNzM5ODEzMTQ5Ng=="}'],
    ])
    expect(ids(deps.io.stdoutText)).toEqual(['PJ0MRSHTDG', 'PJ0MRSHTDH', 'PJ0MRSHTDJ'])
  })
})

describe('call --paginate, LiveChat pages after a first request without a JSON body', () => {
  it.each([
    ['no -d (a GET)', {}],
    ['-X POST and no body', { method: 'POST' }],
    ['a text Content-Type of its own', { data: '{}', headers: ['content-type: text/plain'] }],
  ])('%s: every later page is a POST of JSON, as LiveChat\'s API takes', async (_name, given) => {
    const http = recordingHttp((_url, init) =>
      init.body !== '' && (JSON.parse(init.body) as { page_id?: string }).page_id ? page('livechat/list_chats-2.json') : page('livechat/list_chats-1.json'),
    )
    const { deps } = await callDeps('livechat', http)
    await executeCall(callOptions({ provider: 'livechat', target: '/v3.6/agent/action/list_chats', paginate: true, ...given }), deps)
    const later = http.calls.slice(1)
    expect(later).toHaveLength(1)
    expect(later.map((c) => [c.method, c.headers.get('content-type'), c.body])).toEqual([['POST', 'application/json', '{"page_id":"MTUxNzM5ODEzMTQ5Ng=="}']])
    expect(ids(deps.io.stdoutText)).toEqual(['PJ0MRSHTDG', 'PJ0MRSHTDH', 'PJ0MRSHTDJ'])
  })
})

describe('call --paginate, Link headers for a configured provider', () => {
  const linked = () =>
    recordingHttp((url) =>
      new URL(url).searchParams.get('page') === '2'
        ? page('link/items-2.json')
        : page('link/items-1.json', { link: '<https://api.acme.example/v1/things?page=2>; rel="next"' }),
    )

  it('follows rel="next" and merges the arrays', async () => {
    const http = linked()
    const { deps } = await callDeps('acme', http)
    await executeCall(callOptions({ paginate: true }), deps)
    expect(http.calls.map((c) => c.url)).toEqual(['https://api.acme.example/v1/things', 'https://api.acme.example/v1/things?page=2'])
    expect(ids(deps.io.stdoutText)).toEqual([1, 2, 3])
  })

  it('prints each page\'s status and headers before the merged body with -i', async () => {
    const { deps } = await callDeps('acme', linked())
    await executeCall(callOptions({ paginate: true, include: true }), deps)
    const text = deps.io.stdoutText
    expect(text.match(/^HTTP\/1\.1 200/gm)).toHaveLength(2)
    expect(text.endsWith('[{"id":1,"name":"first"},{"id":2,"name":"second"},{"id":3,"name":"third"}]\n')).toBe(true)
  })

  it('refreshes once and retries a page that answers 401, then carries on with the new token', async () => {
    const http = recordingHttp((url, init) => {
      if (url.endsWith('/token')) return jsonResponse(200, { access_token: 'at-new', token_type: 'Bearer', expires_in: 3600 })
      if (init.headers.get('authorization') !== 'Bearer at-new' && new URL(url).searchParams.get('page') === '2') {
        return jsonResponse(401, { error: 'invalid_token' })
      }
      return new URL(url).searchParams.get('page') === '2'
        ? page('link/items-2.json')
        : page('link/items-1.json', { link: '<https://api.acme.example/v1/things?page=2>; rel="next"' })
    })
    const { deps, store } = await callDeps('acme', http)
    await executeCall(callOptions({ paginate: true }), deps)
    expect(http.calls.map((c) => new URL(c.url).pathname + new URL(c.url).search)).toEqual([
      '/v1/things', '/v1/things?page=2', '/token', '/v1/things?page=2',
    ])
    expect(ids(deps.io.stdoutText)).toEqual([1, 2, 3])
    expect((await store.get({ provider: 'acme', profile: 'default' })).status).toBe('found')
  })
})

describe('call --paginate failures', () => {
  it('prints only the failing body and exits 4 when the first page answers an HTTP error', async () => {
    const http = recordingHttp(() => page('livestorm/error-400.json', {}, 400))
    const { deps } = await callDeps('livestorm', http)
    const error = await executeCall(callOptions({ provider: 'livestorm', target: '/events', paginate: true }), deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpStatusError)
    expect((error as HttpStatusError).exitCode).toBe(4)
    expect((error as Error).message).toBe('livestorm answered HTTP 400 on page 1; no merged items were printed')
    expect(deps.io.stdoutText).toBe(fixture('livestorm/error-400.json'))
  })

  it("names the caller's -H Authorization, not a login, when a later page answers 401 to it", async () => {
    const http = recordingHttp((url) =>
      new URL(url).searchParams.has('page[number]') ? page('livestorm/error-400.json', {}, 401) : page('livestorm/events-page-0.json'),
    )
    const { deps } = await callDeps('livestorm', http)
    const opts = callOptions({ provider: 'livestorm', target: '/events', paginate: true, headers: ['Authorization: Bearer mine'] })
    const error = await executeCall(opts, deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpStatusError)
    expect((error as HttpStatusError).hint).toMatch(/^the Authorization header given with -H was refused/)
    expect(http.calls.map((c) => c.headers.get('authorization'))).toEqual(['Bearer mine', 'Bearer mine'])
  })

  it('leaves the streamed array unclosed, says the output is incomplete and exits 4 when a later page fails', async () => {
    const http = recordingHttp((url) =>
      new URL(url).searchParams.has('page[number]') ? page('livestorm/error-400.json', {}, 400) : page('livestorm/events-page-0.json'),
    )
    const { deps } = await callDeps('livestorm', http)
    const error = await executeCall(callOptions({ provider: 'livestorm', target: '/events', paginate: true }), deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpStatusError)
    expect((error as HttpStatusError).exitCode).toBe(4)
    expect((error as Error).message).toBe(
      'livestorm answered HTTP 400 on page 2; the items of the pages before it were printed, so the output is incomplete',
    )
    // Page 1's items went out as they came; a script parsing the output fails rather than taking a part for the whole.
    expect(deps.io.stdoutText.startsWith('[{')).toBe(true)
    expect(() => JSON.parse(deps.io.stdoutText)).toThrow()
    expect(deps.io.stdoutText).not.toContain(fixture('livestorm/error-400.json').trim())
  })

  it('prints a first page that is not JSON as it is, saying there are no pages to follow', async () => {
    const { deps } = await callDeps('acme', recordingHttp(() => new Response('<html>', { headers: { 'content-type': 'text/html' } })))
    expect(await executeCall(callOptions({ paginate: true }), deps)).toBe(0)
    expect(deps.io.stdoutText).toBe('<html>')
    expect(deps.io.stderrText).toContain('answered with a body that is not a list (not JSON)')
  })

  it('stops with an error when the next link points back at a page already fetched', async () => {
    const http = recordingHttp((url) =>
      jsonResponse(200, [1], { link: `<${new URL(url).searchParams.get('page') === '2' ? '/v1/things' : '/v1/things?page=2'}>; rel="next"` }),
    )
    const { deps } = await callDeps('acme', http)
    await expect(executeCall(callOptions({ paginate: true }), deps)).rejects.toThrow(/pointed back at a page already fetched/)
    expect(http.calls).toHaveLength(2)
  })

  it('stops after the page limit and says so on stderr', async () => {
    const http = recordingHttp((url) => {
      const n = Number(new URL(url).searchParams.get('page') ?? '1')
      return jsonResponse(200, [n], { link: `</v1/things?page=${n + 1}>; rel="next"` })
    })
    const { deps } = await callDeps('acme', http)
    expect(await executeCall(callOptions({ paginate: true }), deps)).toBe(0)
    expect(http.calls).toHaveLength(MAX_PAGES)
    expect(JSON.parse(deps.io.stdoutText)).toHaveLength(MAX_PAGES)
    expect(deps.io.stderrText).toBe(`oauth-cli: stopped after ${MAX_PAGES} pages (${MAX_PAGES} items); narrow the request to get the rest\n`)
  })

  it('reports a truncated run from the run half', async () => {
    const http = recordingHttp(() => jsonResponse(200, [0], { link: '</v1/things?page=next>; rel="next"' }))
    const { deps } = await callDeps('acme', http, { config: { acme: { ...ACME, pagination: 'link' } } })
    const seen: unknown[] = []
    const outcome = await runPaginatedCall(callOptions({ paginate: true }), deps, async (items) => void seen.push(...items), { maxPages: 1 })
    expect(outcome).toMatchObject({ kind: 'complete', truncated: true, pages: 1, items: 1 })
    expect(seen).toEqual([0])
  })
})
