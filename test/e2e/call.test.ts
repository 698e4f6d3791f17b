import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect } from 'vitest'
import { apiRequests, it, SUITE, expectExit, grantTypes, last, loginAcme, parseStdout, type MakeWorld, type World } from './world'

interface Echo {
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string>
  body: string
}

async function loggedIn(makeWorld: MakeWorld): Promise<World> {
  const world = await makeWorld()
  await loginAcme(world)
  return world
}

describe('call with OAuth tokens', SUITE, () => {
  it('GETs the path under api_base_url with the query and the bearer token, body to stdout', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const run = await world.cli(['call', 'acme', '/things', '-q', 'a=1'])
    expectExit(run, 0)
    const echo = parseStdout<Echo>(run)
    expect(echo).toMatchObject({ method: 'GET', path: '/api/things', query: { a: '1' }, body: '' })
    const seen = last(apiRequests(world.fp, '/api/things'))
    expect(seen.url).toBe('/api/things?a=1')
    expect(seen.headers.authorization).toBe(`Bearer ${last(world.fp.issuedAccessTokens())}`)
    expect(run.stderr).not.toContain(last(world.fp.issuedAccessTokens()))
  })

  it('POSTs a -d body that parses as JSON with Content-Type application/json', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const run = await world.cli(['call', 'acme', '/things', '-d', '{"x":1}'])
    expectExit(run, 0)
    const echo = parseStdout<Echo>(run)
    expect(echo.method).toBe('POST')
    expect(echo.headers['content-type']).toMatch(/^application\/json\b/)
    expect(JSON.parse(echo.body)).toEqual({ x: 1 })
  })

  it('POSTs a -d body that is not JSON as application/x-www-form-urlencoded', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const run = await world.cli(['call', 'acme', '/things', '-d', 'a=b'])
    expectExit(run, 0)
    const echo = parseStdout<Echo>(run)
    expect(echo.method).toBe('POST')
    expect(echo.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded\b/)
    expect(echo.body).toBe('a=b')
  })

  it('sends the -X method and -H headers as given', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const run = await world.cli(['call', 'acme', '/things/7', '-X', 'PUT', '-H', 'X-Foo: bar', '-d', '{"y":2}'])
    expectExit(run, 0)
    const echo = parseStdout<Echo>(run)
    expect(echo.method).toBe('PUT')
    expect(echo.path).toBe('/api/things/7')
    expect(echo.headers['x-foo']).toBe('bar')
    expect(JSON.parse(echo.body)).toEqual({ y: 2 })
  })

  it('sends the same request and prints the same answer for every spelling commander accepts', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const spelled = [
      ['call', 'acme', '/things/7', '-X', 'PUT', '-H', 'X-Foo: bar', '-d', '{"y":2}', '-q', 'a=1', '-i'],
      ['call', 'acme', '/things/7', '--method=PUT', '--header=X-Foo: bar', '--data={"y":2}', '--query=a=1', '--include'],
      ['call', 'acme', '/things/7', '-XPUT', '-HX-Foo: bar', '-d{"y":2}', '-qa=1', '-i'],
      ['call', '-iXPUT', 'acme', '-H', 'X-Foo: bar', '--json', '{"y":2}', '/things/7', '-q', 'a=1'],
    ]
    const runs = []
    for (const argv of spelled) runs.push(await world.cli(argv))
    const [first, ...others] = runs.map((run) => {
      expectExit(run, 0)
      const body = run.stdout.split(/\r?\n\r?\n/).slice(1).join('\n\n')
      const { date: _date, ...head } = Object.fromEntries(run.stdout.split(/\r?\n\r?\n/)[0]!.split(/\r?\n/).slice(1).map((l) => l.split(': ')))
      return { head, echo: JSON.parse(body) as Echo, stderr: run.stderr }
    })
    expect(first?.echo).toMatchObject({ method: 'PUT', path: '/api/things/7', query: { a: '1' }, body: '{"y":2}' })
    expect(first?.echo.headers['x-foo']).toBe('bar')
    // --json asks for JSON back (curl's --json); -d leaves the transport's */*.
    expect([first, ...others].map((run) => run?.echo.headers.accept)).toEqual(['*/*', '*/*', '*/*', 'application/json'])
    const withoutAccept = (run: typeof first) => ({ ...run, echo: { ...run?.echo, headers: { ...run?.echo.headers, accept: undefined } } })
    for (const other of others) expect(withoutAccept(other)).toEqual(withoutAccept(first))
    // After --, "-X" and "PUT" are arguments, not a method: too many arguments, exit 2, nothing sent.
    const before = apiRequests(world.fp, '/api/things/7').length
    expectExit(await world.cli(['--profile=default', 'call', 'acme', '--', '/things/7', '-X', 'PUT']), 2)
    expect(apiRequests(world.fp, '/api/things/7')).toHaveLength(before)
  })

  it('prints the status line and headers before the body with -i', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const run = await world.cli(['call', 'acme', '/things', '-i'])
    expectExit(run, 0)
    const [head, ...rest] = run.stdout.split(/\r?\n\r?\n/)
    expect(head).toMatch(/^HTTP\/[\d.]+ 200\b/)
    expect(head).toMatch(/^content-type: application\/json/im)
    expect(JSON.parse(rest.join('\n\n'))).toMatchObject({ method: 'GET', path: '/api/things' })
  })

  it('exits 4 on an HTTP error status and still prints the body on stdout', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const run = await world.cli(['call', 'acme', '/status/404'])
    expectExit(run, 4)
    expect(JSON.parse(run.stdout)).toEqual({ error: 'not_found' })
    expect(run.stderr).toMatch(/404/)
  })

  it('on a 401 refreshes once and retries once with the new token', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    const old = last(world.fp.issuedAccessTokens())
    world.fp.expireAllAccessTokens()
    const run = await world.cli(['call', 'acme', '/things'])
    expectExit(run, 0)
    expect(parseStdout<Echo>(run).path).toBe('/api/things')
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
    const fresh = last(world.fp.issuedAccessTokens())
    expect(apiRequests(world.fp, '/api/things').map((r) => r.headers.authorization)).toEqual([`Bearer ${old}`, `Bearer ${fresh}`])
  })

  it('gives up after one retry when the API keeps answering 401, exiting 4 or 3', async ({ makeWorld }) => {
    const world = await loggedIn(makeWorld)
    world.fp.expireAllAccessTokens()
    // The first 401 is the expired token; the retry, with a fresh token, hits an endpoint that always says 401.
    const run = await world.cli(['call', 'acme', '/status/401'])
    expectExit(run, [3, 4])
    expect(apiRequests(world.fp)).toHaveLength(2)
    expect(grantTypes(world.fp)).toEqual(['authorization_code', 'refresh_token'])
  })

  it('exits 3 with the login hint when nothing is stored, without calling the API', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['call', 'acme', '/things'])
    expectExit(run, 3)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('oauth-cli login acme')
    expect(apiRequests(world.fp)).toHaveLength(0)
  })
})

describe('call with static credentials (--with-token)', SUITE, () => {
  const overrideApi = (name: string) => (fp: { url: string }) => ({ [name]: { api_base_url: `${fp.url}/api` } })

  it('sends a LiveChat ACCOUNT:PAT as HTTP Basic on a JSON POST', async ({ makeWorld }) => {
    const world = await makeWorld({ providers: overrideApi('livechat') })
    world.fp.addStaticCredential('basic', 'acct-1:pat-secret-1')
    const login = await world.cli(['login', 'livechat', '--with-token'], { stdin: 'acct-1:pat-secret-1\n' })
    expectExit(login, 0)
    expect(login.stdout).toBe('')
    const run = await world.cli(['call', 'livechat', '/v3.6/agent/action/list_chats', '-d', '{}'])
    expectExit(run, 0)
    const seen = last(apiRequests(world.fp, '/api/v3.6/agent/action/list_chats'))
    expect(seen.method).toBe('POST')
    expect(seen.headers.authorization).toBe(`Basic ${Buffer.from('acct-1:pat-secret-1').toString('base64')}`)
    expect(seen.headers['content-type']).toMatch(/^application\/json\b/)
    expect(seen.body).toBe('{}')
    expect(login.stderr + run.stderr).not.toContain('pat-secret-1')
  })

  it('sends a Livestorm API token raw in Authorization, without Bearer', async ({ makeWorld }) => {
    const world = await makeWorld({ providers: overrideApi('livestorm') })
    world.fp.addStaticCredential('raw', 'ls-api-token-1')
    expectExit(await world.cli(['login', 'livestorm', '--with-token'], { stdin: 'ls-api-token-1\n' }), 0)
    const run = await world.cli(['call', 'livestorm', '/ping'])
    expectExit(run, 0)
    expect(last(apiRequests(world.fp, '/api/ping')).headers.authorization).toBe('ls-api-token-1')
  })

  it('sends Tidio OpenAPI keys as the two X-Tidio headers with the versioned Accept', async ({ makeWorld }) => {
    const world = await makeWorld({ providers: overrideApi('tidio') })
    world.fp.addStaticCredential('header_pair', 'ci_x:cs_y')
    expectExit(await world.cli(['login', 'tidio', '--with-token'], { stdin: 'ci_x:cs_y\n' }), 0)
    const run = await world.cli(['call', 'tidio', '/operators'])
    expectExit(run, 0)
    const seen = last(apiRequests(world.fp, '/api/operators'))
    expect(seen.headers['x-tidio-openapi-client-id']).toBe('ci_x')
    expect(seen.headers['x-tidio-openapi-client-secret']).toBe('cs_y')
    expect(seen.headers.accept).toBe('application/json; version=1')
    expect(seen.headers.authorization).toBeUndefined()
  })

  it('logs in to Tidio from TIDIO_CLIENT_ID/TIDIO_CLIENT_SECRET with no OAuth flow and no browser', async ({ makeWorld }) => {
    const world = await makeWorld({ providers: overrideApi('tidio') })
    world.fp.addStaticCredential('header_pair', 'ci_env:cs_env')
    const browser = world.followBrowser()
    const env = { TIDIO_CLIENT_ID: 'ci_env', TIDIO_CLIENT_SECRET: 'cs_env', BROWSER: browser.path }
    const login = await world.cli(['login', 'tidio'], { env })
    expectExit(login, 0)
    expect(login.stdout).toBe('')
    expect(login.stderr).toMatch(/tidio/i)
    expect(login.stderr).not.toContain('cs_env')
    expect(browser.log()).toBe('')
    expect(world.fp.requests.filter((r) => !r.path.startsWith('/api'))).toHaveLength(0)
    const run = await world.cli(['call', 'tidio', '/operators'], { env: { BROWSER: browser.path } })
    expectExit(run, 0)
    expect(last(apiRequests(world.fp, '/api/operators')).headers['x-tidio-openapi-client-id']).toBe('ci_env')
  })

  it('sends any other provider\'s pasted token as a Bearer token', async ({ makeWorld }) => {
    const world = await makeWorld()
    world.fp.addStaticCredential('bearer', 'pasted-token-1')
    expectExit(await world.cli(['login', 'acme', '--with-token'], { stdin: 'pasted-token-1\n' }), 0)
    const run = await world.cli(['call', 'acme', '/me'])
    expectExit(run, 0)
    expect(last(apiRequests(world.fp, '/api/me')).headers.authorization).toBe('Bearer pasted-token-1')
    expect(world.fp.requests.filter((r) => !r.path.startsWith('/api'))).toHaveLength(0)
  })
})

describe('a repeated -H', SUITE, () => {
  /** An API that records the header lines of each request; with HTTP_PROXY pointing at it, it is the proxy too, answering itself. */
  async function recordingApi(): Promise<{ url: string; received: Array<{ target: string; lines: string[]; cookie?: string }>; close: () => Promise<void> }> {
    const received: Array<{ target: string; lines: string[]; cookie?: string }> = []
    const server = createServer((req, res) => {
      const lines: string[] = []
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]!.toLowerCase()}: ${req.rawHeaders[i + 1]}`)
      received.push({ target: req.url ?? '', lines, cookie: req.headers.cookie })
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
  }

  it.for([
    ['directly', false],
    ['through a proxy', true],
  ] as const)('sends each value as its own header line, as curl does (%s)', async ([, proxied], { makeWorld, onTestFinished }) => {
    const api = await recordingApi()
    onTestFinished(api.close)
    const world = await makeWorld({ acme: { api_base_url: `${api.url}/api` } })
    await loginAcme(world)
    const run = await world.cli(
      ['call', 'acme', '/me', '--verbose', '-H', 'Cookie: a=1', '-H', 'cookie: b=2', '-H', 'X-A: 1', '-H', 'x-a: 2'],
      { env: proxied ? { HTTP_PROXY: api.url } : {} },
    )
    expectExit(run, 0)
    const [request] = api.received
    expect(request?.target.startsWith('http://')).toBe(proxied)
    const sent = request?.lines ?? []
    // Cookie pairs are joined with '; ' whether on one line (node:http's way) or two (undici's, read as one by the server).
    expect(request?.cookie).toBe('a=1; b=2')
    expect(sent.filter((line) => line.startsWith('x-a:'))).toEqual(['x-a: 1', 'x-a: 2'])
    // The credential still goes, and the trace shows each line (Cookie redacted, as a secret-named header).
    expect(sent.filter((line) => line.startsWith('authorization:'))).toEqual([`authorization: Bearer ${last(world.fp.issuedAccessTokens())}`])
    expect(run.stderr.match(/^> x-a: .*$/gm)).toHaveLength(2)
    expect(run.stderr.match(/^> cookie: \[redacted\]$/gm)).toHaveLength(2)
  })

  it('replaces an api_headers header of the same name with all its values', async ({ makeWorld, onTestFinished }) => {
    const api = await recordingApi()
    onTestFinished(api.close)
    const world = await makeWorld({ acme: { api_base_url: `${api.url}/api`, api_headers: { 'X-A': 'from-config' } } })
    await loginAcme(world)
    const run = await world.cli(['call', 'acme', '/me', '-H', 'X-A: 1', '-H', 'x-a: 2'])
    expectExit(run, 0)
    expect(api.received[0]?.lines.filter((line) => line.startsWith('x-a:'))).toEqual(['x-a: 1', 'x-a: 2'])
  })
})
