import { describe, expect, it } from 'vitest'
import { buildApiRequest, formatIncluded, readBody, runCall } from '../../../src/cli/commands/call'
import { UsageError } from '../../../src/cli/errors'
import type { CallOptions } from '../../../src/cli/commands/call'
import { jsonResponse, makeTestDeps, MemoryStore, recordingHttp } from '../../fakes'
import { ACME, provider, stored } from '../session/helpers'
import { callDeps } from './call-support'

function options(overrides: Partial<CallOptions> = {}): CallOptions {
  return {
    profile: 'default', json: false, verbose: false, store: 'auto',
    provider: 'acme', target: '/things', headers: [], query: [], include: false, paginate: false, ndjson: false,
    ...overrides,
  }
}

describe('buildApiRequest', () => {
  const acme = provider('acme', ACME)

  it.each([
    ['/things', 'https://api.acme.example/v1/things'],
    ['things', 'https://api.acme.example/v1/things'],
    ['/v1/things', 'https://api.acme.example/v1/things'],
    ['https://api.acme.example/v2/other', 'https://api.acme.example/v2/other'],
    ['https://id.acme.example/userinfo', 'https://id.acme.example/userinfo'],
  ])('resolves %s to %s', (target, url) => {
    expect(buildApiRequest(options({ target }), acme, undefined).url).toBe(url)
  })

  it('refuses to send credentials to a host that is not the provider\'s', () => {
    expect(() => buildApiRequest(options({ target: 'https://evil.example/x' }), acme, undefined)).toThrow(
      /refusing to send acme credentials to https:\/\/evil\.example/,
    )
  })

  it.each([['http://api.acme.example/v1/me'], ['https://api.acme.example:8443/v1/me']])(
    'refuses %s: the provider\'s host, but another scheme or port, would carry the credential elsewhere',
    (target) => {
      expect(() => buildApiRequest(options({ target }), acme, undefined)).toThrow(/refusing to send acme credentials/)
    },
  )

  it('joins LiveChat action paths to its API host, as its docs ask', () => {
    const request = buildApiRequest(
      options({ provider: 'livechat', target: '/v3.6/agent/action/list_chats', data: '{}' }),
      provider('livechat'),
      '{}',
    )
    expect(request).toEqual({
      method: 'POST',
      url: 'https://api.livechatinc.com/v3.6/agent/action/list_chats',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
  })

  it.each([
    ['{"a":1}', 'application/json'],
    ['[1,2]', 'application/json'],
    ['a=1&b=2', 'application/x-www-form-urlencoded'],
  ])('sends a -d body %s as %s', (body, type) => {
    expect(buildApiRequest(options({ data: body }), acme, body).headers['content-type']).toBe(type)
  })

  it("asks for JSON with --json, as curl's --json does, unless -H or the provider's api_headers say what to accept", () => {
    expect(buildApiRequest(options({ jsonBody: '{}' }), acme, '{}').headers).toEqual({ 'content-type': 'application/json', accept: 'application/json' })
    expect(buildApiRequest(options({ jsonBody: '{}', headers: ['Accept: application/vnd.api+json'] }), acme, '{}').headers.accept).toBe('application/vnd.api+json')
    expect(buildApiRequest(options({ provider: 'tidio', target: '/contacts', jsonBody: '{}' }), provider('tidio'), '{}').headers.accept).toBeUndefined()
    expect(buildApiRequest(options({ data: '{}' }), acme, '{}').headers.accept).toBeUndefined()
  })

  it('lets -H set the Content-Type and other headers, case-insensitively', () => {
    const request = buildApiRequest(options({ data: 'x', headers: ['Content-Type: text/plain', 'X-Foo:  bar '] }), acme, 'x')
    expect(request.headers).toEqual({ 'content-type': 'text/plain', 'x-foo': 'bar' })
  })

  it('adds query parameters, keeping brackets Livestorm uses', () => {
    const url = new URL(buildApiRequest(options({ query: ['page[size]=10', 'q=a b'] }), acme, undefined).url)
    expect(url.searchParams.get('page[size]')).toBe('10')
    expect(url.searchParams.get('q')).toBe('a b')
  })

  it.each([
    [{ query: ['novalue'] }, /-q expects name=value/],
    [{ headers: ['NoColon'] }, /-H expects 'Name: value'/],
    [{ data: 'a', jsonBody: '{}' }, /either -d\/--data or --json/],
  ])('rejects malformed flags %j with a usage error', (overrides, message) => {
    expect(() => buildApiRequest(options(overrides), acme, 'a')).toThrow(UsageError)
    expect(() => buildApiRequest(options(overrides), acme, 'a')).toThrow(message)
  })

  it.each([
    ['Authorization Bearer sk-live-123'],
    ['sk-live-123'],
    ['Authorization Bearer sk-live-123: x'],
  ])('names a malformed -H without repeating its text, which may be a secret (%s)', (raw) => {
    const thrown = (() => {
      try {
        buildApiRequest(options({ headers: ['X-Ok: 1', raw] }), acme, undefined)
      } catch (err) {
        return err
      }
      return undefined
    })()
    expect(thrown).toBeInstanceOf(UsageError)
    const { message, hint } = thrown as UsageError
    expect(`${message} ${hint ?? ''}`).not.toContain('sk-live-123')
    expect(message).toMatch(/-H expects 'Name: value'/)
  })

  it('uses the method given with -X, upper-cased', () => {
    expect(buildApiRequest(options({ method: 'put' }), acme, undefined).method).toBe('PUT')
  })
})

describe('runCall', () => {
  it('refreshes once and retries once when the API answers 401', async () => {
    const store = new MemoryStore()
    await store.set(stored({ expires_at: '2026-01-01T05:00:00Z' }))
    const http = recordingHttp((url, init) => {
      if (url.endsWith('/token')) return jsonResponse(200, { access_token: 'at-new', token_type: 'Bearer', expires_in: 60 * 60 })
      return init.headers.get('authorization') === 'Bearer at-new'
        ? jsonResponse(200, { ok: true })
        : jsonResponse(401, { error: 'invalid_token' })
    })
    const deps = makeTestDeps({ store, http, files: {} })
    const response = await runCall(options(), { ...deps, readTextFile: async (p) => (p.endsWith('config.json') ? JSON.stringify({ providers: { acme: ACME } }) : undefined) })
    expect(response.status).toBe(200)
    expect(http.calls.map((c) => c.url)).toEqual([
      'https://api.acme.example/v1/things',
      'https://id.acme.example/token',
      'https://api.acme.example/v1/things',
    ])
  })
})

describe('readBody', () => {
  it.each([
    ['-d', { data: '@missing.json' }],
    ['--json', { jsonBody: '@missing.json' }],
  ])('%s @file that does not exist: exit 2 naming the file and how a body is given', async (_flag, given) => {
    const error = await readBody(options(given), makeTestDeps({ files: {} })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toBe('cannot read the body file missing.json: it does not exist')
    expect((error as UsageError).hint).toBe('after @ give the path of an existing file, or @- to read the body from stdin')
  })
})

describe('runCall: whose headers win', () => {
  const withDefaults = { ...ACME, api_headers: { Authorization: 'Basic config-default', 'X-Api-Version': '3', Accept: 'application/vnd.acme+json' } }
  async function sent(overrides: Partial<CallOptions>) {
    const store = new MemoryStore()
    await store.set(stored({ expires_at: '2026-01-01T05:00:00Z' }))
    const http = recordingHttp(() => jsonResponse(200, { ok: true }))
    const deps = makeTestDeps({ store, http, files: {} })
    await runCall(options(overrides), { ...deps, readTextFile: async (p) => (p.endsWith('config.json') ? JSON.stringify({ providers: { acme: withDefaults } }) : undefined) })
    return http.calls.map((c) => { const headers: Record<string, string> = {}; c.headers.forEach((value, name) => (headers[name] = value)); return headers })
  }

  it("sends the stored credential over an Authorization in the provider's api_headers, whose other headers still go out", async () => {
    const [headers] = await sent({})
    expect(headers?.authorization).toBe('Bearer at-old-1111')
    expect(headers?.['x-api-version']).toBe('3')
    expect(headers?.accept).toBe('application/vnd.acme+json')
  })

  it("sends Tidio's versioned Accept header (its api_headers) on every call", async () => {
    const http = recordingHttp(() => jsonResponse(200, { ok: true }))
    const { deps } = await callDeps('tidio', http)
    await runCall(options({ provider: 'tidio', target: '/operators' }), deps)
    expect(http.calls.map((c) => [c.url, c.headers.get('accept')])).toEqual([['https://api.tidio.com/operators', 'application/json; version=1']])
  })

  it("lets a -H replace both the provider's api_headers and the stored credential", async () => {
    const [headers] = await sent({ headers: ['Authorization: Bearer mine', 'Accept: text/csv'] })
    expect(headers?.authorization).toBe('Bearer mine')
    expect(headers?.accept).toBe('text/csv')
    expect(headers?.['x-api-version']).toBe('3')
  })
})

describe('runCall resumed after a 401 (the fast path hands over the refresh)', () => {
  it('refreshes first, sends once, and does not refresh again when that answer is a 401 too', async () => {
    const store = new MemoryStore()
    await store.set(stored({ expires_at: '2026-01-01T05:00:00Z' }))
    const http = recordingHttp((url) =>
      url.endsWith('/token')
        ? jsonResponse(200, { access_token: 'at-new', token_type: 'Bearer', expires_in: 60 * 60 })
        : jsonResponse(401, { error: 'invalid_token' }),
    )
    const deps = makeTestDeps({ store, http, files: {} })
    const rejected = (await store.get({ provider: 'acme', profile: 'default' })) as { credential: { access_token: string } }
    const response = await runCall(
      options(),
      { ...deps, readTextFile: async (p) => (p.endsWith('config.json') ? JSON.stringify({ providers: { acme: ACME } }) : undefined) },
      { rejectedAccessToken: rejected.credential.access_token },
    )
    expect(response.status).toBe(401)
    expect(http.calls.map((c) => c.url)).toEqual(['https://id.acme.example/token', 'https://api.acme.example/v1/things'])
    expect(http.calls[1]?.headers.get('authorization')).toBe('Bearer at-new')
  })
})

describe('formatIncluded', () => {
  it('prints the status line and headers, redacting secrets', () => {
    const text = formatIncluded({
      status: 200,
      statusText: 'OK',
      headers: new Headers({ 'content-type': 'application/json', 'set-cookie': 'session=abc123secret' }),
    })
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(text).toContain('content-type: application/json')
    expect(text).not.toContain('abc123secret')
  })
})

describe('call flags for output and pagination', () => {
  it('parses -o/--output, --paginate and --ndjson into CallOptions', async () => {
    const { runCli } = await import('../../../src/cli/program')
    const seen: CallOptions[] = []
    const spy = {
      call: async (opts: CallOptions) => {
        seen.push(opts)
        return 0 as const
      },
    }
    await runCli(['call', 'livestorm', '/events', '--paginate', '--ndjson', '-o', 'events.ndjson'], makeTestDeps(), spy)
    await runCli(['call', 'livestorm', '/events', '--output', 'e.json'], makeTestDeps(), spy)
    expect(seen.map((o) => [o.paginate, o.ndjson, o.output])).toEqual([
      [true, true, 'events.ndjson'],
      [false, false, 'e.json'],
    ])
  })
})
