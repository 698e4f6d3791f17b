import { request } from 'node:http'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ListenError, type CallbackServer, type CallbackServerOptions } from '../../../src/oauth/callback-server'
import { startCallbackServer } from '../../../src/oauth/loopback'
import type { State } from '../../../src/oauth/types'

const STATE = 'state-0123456789abcdef' as State
const CODE = 'code-SECRET-9876543210'

const started: CallbackServer[] = []
const blockers: Server[] = []

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()))
  await Promise.all(blockers.splice(0).map((b) => new Promise<void>((resolve) => b.close(() => resolve()))))
})

async function start(redirectUri: string, extra: Partial<CallbackServerOptions> = {}): Promise<CallbackServer> {
  const server = await startCallbackServer({
    redirectUri: new URL(redirectUri),
    expectedState: STATE,
    providerName: 'acme',
    profile: 'work',
    ...extra,
  })
  started.push(server)
  return server
}

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A GET (or other method) with a fresh connection, to the given address family. */
function get(url: string, options: { method?: string; family?: 4 | 6 } = {}): Promise<Reply> {
  const target = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.family === 6 ? '::1' : '127.0.0.1',
        port: Number(target.port),
        path: target.pathname + target.search,
        method: options.method ?? 'GET',
        headers: { host: target.host },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

function callbackUrl(server: CallbackServer, query: string): string {
  return `${server.redirectUri}?${query}`
}

function isSettled(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending')
  return Promise.race([promise.then(() => true, () => true), new Promise((r) => setImmediate(() => r(marker)))]).then((v) => v === true)
}

async function occupy(host: string, port: number): Promise<Server> {
  const blocker = createServer()
  blockers.push(blocker)
  await new Promise<void>((resolve, reject) => {
    blocker.once('error', reject)
    blocker.listen(port, host, () => resolve())
  })
  return blocker
}

async function hasIpv6Loopback(): Promise<boolean> {
  const probe = createServer()
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false))
    probe.listen(0, '::1', () => probe.close(() => resolve(true)))
  })
}

describe('startCallbackServer', () => {
  it('fills in the port and resolves a good callback; respond serves the success page without the code', async () => {
    const server = await start('http://127.0.0.1:0/callback')
    expect(server.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/)
    const browser = get(callbackUrl(server, `code=${CODE}&state=${STATE}`))
    const received = await server.waitForCallback()
    expect(received.params.get('code')).toBe(CODE)
    await received.respond({ ok: true })
    const page = await browser
    expect(page.status).toBe(200)
    expect(page.body).toContain('acme')
    expect(page.body).toContain('work')
    expect(page.body).not.toContain(CODE)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.headers['referrer-policy']).toBe('no-referrer')
    expect(page.headers['content-security-policy']).toContain("default-src 'none'")
  })

  it('serves the error page with the message when respond reports a failure', async () => {
    const server = await start('http://127.0.0.1:0/callback')
    const browser = get(callbackUrl(server, `code=${CODE}&state=${STATE}`))
    const received = await server.waitForCallback()
    await received.respond({ ok: false, message: 'the code exchange failed <b>' })
    const page = await browser
    expect(page.body).toContain('the code exchange failed &lt;b&gt;')
    expect(page.body).not.toContain(CODE)
  })

  it('escapes the provider and profile names in its pages', async () => {
    const server = await start('http://127.0.0.1:0/callback', { providerName: '<img src=x>', profile: '"work"' })
    const page = await get(callbackUrl(server, 'state=wrong'))
    expect(page.body).toContain('&lt;img src=x&gt;')
    expect(page.body).toContain('&quot;work&quot;')
    expect(page.body).not.toContain('<img')
  })

  it('serves the neutral page to a held callback when closed before respond', async () => {
    const server = await start('http://127.0.0.1:0/callback')
    const browser = get(callbackUrl(server, `code=${CODE}&state=${STATE}`))
    await server.waitForCallback()
    await server.close()
    const page = await browser
    expect(page.status).toBe(200)
    expect(page.body).toContain('You can close this tab')
    expect(page.body).not.toContain(CODE)
  })

  it('answers a wrong state with 400 and keeps waiting for the right one', async () => {
    const server = await start('http://127.0.0.1:0/callback')
    const waiting = server.waitForCallback()
    const wrong = await get(callbackUrl(server, `code=${CODE}&state=forged`))
    expect(wrong.status).toBe(400)
    expect(wrong.body).toContain('state')
    expect(wrong.body).not.toContain(CODE)
    expect(await isSettled(waiting)).toBe(false)

    const browser = get(callbackUrl(server, `code=good-code-1234&state=${STATE}`))
    const received = await waiting
    expect(received.params.get('code')).toBe('good-code-1234')
    await received.respond({ ok: true })
    expect((await browser).status).toBe(200)
  })

  it.each([
    ['a wrong path', '/other?code=c&state=S'],
    ['a missing state', '/callback?code=c'],
    ['neither code nor error', '/callback?state=S'],
    ['two states', '/callback?code=c&state=S&state=S'],
  ])('answers %s with 400 and does not resolve', async (_name, pathAndQuery) => {
    const server = await start('http://127.0.0.1:0/callback')
    const origin = new URL(server.redirectUri).origin
    const reply = await get(`${origin}${pathAndQuery.replaceAll('S', STATE)}`)
    expect(reply.status).toBe(400)
    expect(await isSettled(server.waitForCallback())).toBe(false)
  })

  it('answers favicon with 404 and other methods with 405', async () => {
    const server = await start('http://127.0.0.1:0/callback')
    const origin = new URL(server.redirectUri).origin
    expect((await get(`${origin}/favicon.ico`)).status).toBe(404)
    const post = await get(callbackUrl(server, `code=c&state=${STATE}`), { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe('GET')
    expect(await isSettled(server.waitForCallback())).toBe(false)
  })

  it('resolves an error callback with the right state', async () => {
    const server = await start('http://127.0.0.1:0/callback/')
    const browser = get(callbackUrl(server, `error=access_denied&state=${STATE}`))
    const received = await server.waitForCallback()
    expect(received.params.get('error')).toBe('access_denied')
    await received.respond({ ok: false, message: 'access was denied' })
    expect((await browser).body).toContain('access was denied')
  })

  it('refuses a second callback while the first is held', async () => {
    const server = await start('http://127.0.0.1:0/callback')
    const first = get(callbackUrl(server, `code=c1-aaaa&state=${STATE}`))
    const received = await server.waitForCallback()
    const second = await get(callbackUrl(server, `code=c2-bbbb&state=${STATE}`))
    expect(second.status).toBe(400)
    await received.respond({ ok: true })
    expect((await first).status).toBe(200)
  })

  it('answers on both 127.0.0.1 and ::1 for localhost', async () => {
    const ipv6 = await hasIpv6Loopback()
    const server = await start('http://localhost:0/cb')
    expect(server.redirectUri).toMatch(/^http:\/\/localhost:\d+\/cb$/)
    const v4 = await get(`${server.redirectUri}?state=wrong`, { family: 4 })
    expect(v4.status).toBe(400)
    if (!ipv6) return
    const browser = get(callbackUrl(server, `code=c6&state=${STATE}`), { family: 6 })
    const received = await server.waitForCallback()
    await received.respond({ ok: true })
    expect((await browser).status).toBe(200)
  })

  it('throws ListenError port_in_use naming the port', async () => {
    const blocker = await occupy('127.0.0.1', 0)
    const { port } = blocker.address() as AddressInfo
    const err = await start(`http://127.0.0.1:${port}/callback`).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ListenError)
    expect(err).toMatchObject({ code: 'port_in_use', port, host: '127.0.0.1' })
  })

  it('rejects waitForCallback with the abort reason and frees the port', async () => {
    const controller = new AbortController()
    const server = await start('http://127.0.0.1:0/callback', { signal: controller.signal })
    const { port } = new URL(server.redirectUri)
    const waiting = server.waitForCallback()
    const reason = new Error('login timed out')
    controller.abort(reason)
    await expect(waiting).rejects.toBe(reason)
    await server.close()
    const again = await start(`http://127.0.0.1:${port}/callback`)
    expect(new URL(again.redirectUri).port).toBe(port)
  })

  it('refuses a redirect URI that is not loopback http', async () => {
    await expect(start('http://example.com:0/cb')).rejects.toBeInstanceOf(ListenError)
    await expect(start('https://127.0.0.1:0/cb')).rejects.toBeInstanceOf(ListenError)
  })

  it('closes idempotently and rejects a pending wait', async () => {
    const server = await start('http://127.0.0.1:0/callback')
    const waiting = server.waitForCallback()
    await Promise.all([server.close(), server.close()])
    await expect(waiting).rejects.toThrow('closed')
  })
})
