/**
 * `call` against an API server the test scripts (node:http on loopback): how
 * the first page of a POST-listing provider is sent, what `-i` may print, a
 * 401 for a missing scope, a body written as it arrives, and the hint of an
 * answer a login cannot fix.
 */
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { expectExit, grantTypes, it, last, loginAcme, parseStdout, SUITE } from './world'

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

/** An API on loopback answering with `handler`; every request it got is in `seen`. */
async function scriptedApi(
  handler: (req: Seen, res: ServerResponse) => void,
): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8').on('data', (c: string) => (body += c))
    req.on('end', () => {
      const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
      seen.push(rec)
      handler(rec, res)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    seen,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value))
}

/** Resolves once `check` holds, polling the file system or output; fails after `ms`. */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('call --paginate where list methods are POST (LiveChat next_page_id)', SUITE, () => {
  it('sends the first page without -d as a POST of {} in JSON, as every later page', async ({ makeWorld, onTestFinished }) => {
    // LiveChat's list_* actions are RPC over POST with a JSON body, even for reads (providers.md, "API base and versions").
    const api = await scriptedApi((req, res) => {
      if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/json')) {
        return json(res, 400, { error: { type: 'validation', message: 'POST a JSON body' } })
      }
      const body = JSON.parse(req.body) as { page_id?: string }
      if (body.page_id === 'p2') return json(res, 200, { chats_summary: [{ id: 'b' }], found_chats: 2, previous_page_id: 'p1' })
      return json(res, 200, { chats_summary: [{ id: 'a' }], found_chats: 2, next_page_id: 'p2' })
    })
    onTestFinished(api.close)
    const world = await makeWorld({ acme: { api_base_url: `${api.url}/api`, pagination: 'next_page_id' } })
    await loginAcme(world)
    const run = await world.cli(['call', 'acme', '/v3.6/agent/action/list_chats', '--paginate'])
    expectExit(run, 0)
    expect(parseStdout(run)).toEqual([{ id: 'a' }, { id: 'b' }])
    expect(api.seen.map((r) => [r.method, r.headers['content-type'], r.body])).toEqual([
      ['POST', 'application/json', '{}'],
      ['POST', 'application/json', '{"page_id":"p2"}'],
    ])
  })
})

describe('call -i', SUITE, () => {
  it('redacts the stored access token where a server echoes it in a response header', async ({ makeWorld, onTestFinished }) => {
    const api = await scriptedApi((req, res) => {
      const token = String(req.headers.authorization).replace(/^Bearer /, '')
      json(res, 200, { ok: true }, { 'x-request-echo': `seen ${token} here`, 'x-plain': 'kept' })
    })
    onTestFinished(api.close)
    const world = await makeWorld({ acme: { api_base_url: `${api.url}/api` } })
    await loginAcme(world)
    const token = last(world.fp.issuedAccessTokens())
    const run = await world.cli(['call', 'acme', '/me', '-i'])
    expectExit(run, 0)
    expect(run.stdout).not.toContain(token)
    expect(run.stdout).toMatch(/^x-request-echo: seen \[redacted\] here\r?$/m)
    expect(run.stdout).toMatch(/^x-plain: kept\r?$/m)
  })

  it('redacts both parts of a static credential (Tidio\'s id and secret), in stdout and in the -o file', async ({ makeWorld, onTestFinished }) => {
    const api = await scriptedApi((req, res) => {
      const id = String(req.headers['x-tidio-openapi-client-id'])
      const secret = String(req.headers['x-tidio-openapi-client-secret'])
      json(res, 200, { ok: true }, { 'x-debug': `client ${id} with ${secret}` })
    })
    onTestFinished(api.close)
    const world = await makeWorld({ providers: () => ({ tidio: { api_base_url: `${api.url}/api` } }) })
    expectExit(await world.cli(['login', 'tidio', '--with-token'], { stdin: 'ci_client_one:cs_secret_two\n' }), 0)
    const run = await world.cli(['call', 'tidio', '/operators', '-i'])
    expectExit(run, 0)
    expect(run.stdout).toMatch(/^x-debug: client \[redacted\] with \[redacted\]\r?$/m)
    const file = join(world.home.home, 'out.txt')
    expectExit(await world.cli(['call', 'tidio', '/operators', '-i', '-o', file]), 0)
    const written = readFileSync(file, 'utf8')
    expect(written).toMatch(/^x-debug: client \[redacted\] with \[redacted\]\r?$/m)
    expect(written).not.toContain('cs_secret_two')
  })
})

describe('a 401 for a missing scope (RFC 6750 §3.1 insufficient_scope)', SUITE, () => {
  it.for([
    ['fast build', []],
    ['full CLI', ['--verbose']],
  ] as const)('is not refreshed: exit 4 with the body and a hint naming the scope (%s)', async ([, extra], { makeWorld, onTestFinished }) => {
    const api = await scriptedApi((_req, res) =>
      json(res, 401, { error: 'insufficient_scope' }, { 'www-authenticate': 'Bearer realm="api", error="insufficient_scope", scope="things:write"' }),
    )
    onTestFinished(api.close)
    const world = await makeWorld({ acme: { api_base_url: `${api.url}/api` } })
    await loginAcme(world)
    const run = await world.cli(['call', 'acme', '/things', '-d', '{}', ...extra])
    expectExit(run, 4)
    expect(JSON.parse(run.stdout)).toEqual({ error: 'insufficient_scope' })
    expect(api.seen).toHaveLength(1)
    expect(grantTypes(world.fp)).toEqual(['authorization_code'])
    expect(run.stderr).toContain('things:write')
    expect(run.stderr).toContain('oauth-cli login acme --scope')
  })
})

describe('call writes the body as it arrives', SUITE, () => {
  it.for([
    ['stdout', false],
    ['-o', true],
  ] as const)('the first chunk reaches %s while the server still holds the rest', async ([, toFile], { makeWorld, onTestFinished }) => {
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    onTestFinished(() => release())
    const api = await scriptedApi((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      res.write('first chunk\n')
      void released.then(() => res.end('second chunk\n'))
    })
    onTestFinished(api.close)
    const world = await makeWorld({ acme: { api_base_url: `${api.url}/api` } })
    await loginAcme(world)
    const file = join(world.home.home, 'body.bin')
    const cli = world.spawn(['call', 'acme', '/export', ...(toFile ? ['-o', file] : [])])
    const written = (): string => {
      if (!toFile) return cli.stdout()
      try {
        return readFileSync(file, 'utf8')
      } catch {
        return ''
      }
    }
    await until(() => written().includes('first chunk\n'), 'the first chunk')
    expect(written()).not.toContain('second chunk')
    release()
    const run = await cli.exited
    expectExit(run, 0)
    expect(written()).toBe('first chunk\nsecond chunk\n')
  })
})

describe("Tidio's api_access_disabled", SUITE, () => {
  it('says what fixes it (the plan), not a login', async ({ makeWorld, onTestFinished }) => {
    const api = await scriptedApi((_req, res) =>
      json(res, 403, { errors: [{ code: 'api_access_disabled', message: 'API access is disabled' }] }),
    )
    onTestFinished(api.close)
    const world = await makeWorld({ providers: () => ({ tidio: { api_base_url: `${api.url}/api` } }) })
    expectExit(await world.cli(['login', 'tidio', '--with-token'], { stdin: 'ci_client_one:cs_secret_two\n' }), 0)
    const run = await world.cli(['call', 'tidio', '/contacts'])
    expectExit(run, 4)
    expect(run.stdout).toContain('api_access_disabled')
    expect(run.stderr).toMatch(/upgrade the plan/)
    expect(run.stderr).toContain('logging in again cannot change this')
    expect(run.stderr).not.toMatch(/the credentials were refused|run: oauth-cli login tidio\s*$/m)
  })
})
