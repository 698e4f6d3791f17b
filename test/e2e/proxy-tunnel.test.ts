/**
 * A proxy that takes the CONNECT for an https provider and then drops the
 * connection, or never answers it. The command ends (exit 5) within its
 * bounds, names the proxy (never the user name and password in its URL), and
 * has asked the proxy a handful of times: undici alone re-dials such a proxy
 * in a tight loop for ever and ignores the request's signal
 * (nodejs/undici#3897), which made `call`, `token` and `refresh` hang with
 * tens of thousands of CONNECTs while holding the refresh lock.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { describe, expect } from 'vitest'
import { decodeBundle, encodeBundle } from '../../src/session/bundle'
import { acmeEntry, expectExit, it, loginAcme, SUITE, type World } from './world'

/** Each command must end: bounded generously, for a loaded machine (a hang is what fails). */
const BOUNDED = { ...SUITE, timeout: 90_000 }

interface TunnelProxy {
  url: string
  port: number
  connects(): number
  close(): Promise<void>
}

/**
 * A proxy on loopback that counts each CONNECT and then closes it at once,
 * holds it unanswered, or answers 407 (as it answers every plain request).
 */
async function startTunnelProxy(mode: 'close' | 'silent' | '407', credentials = 'proxyuser:hunter2-secret'): Promise<TunnelProxy> {
  let connects = 0
  const held = new Set<Socket>()
  const server: Server = createServer((_req, res) => res.writeHead(mode === '407' ? 407 : 502, { 'proxy-authenticate': 'Basic realm="proxy"' }).end())
  server.on('connect', (_req, socket: Socket) => {
    connects++
    if (mode === 'close') return void socket.destroy()
    if (mode === '407') return void socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\nContent-Length: 0\r\n\r\n')
    held.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => held.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    // A user name and password that must never be printed.
    url: `http://${credentials === '' ? '' : `${credentials}@`}127.0.0.1:${port}`,
    port,
    connects: () => connects,
    close: async () => {
      for (const socket of held) socket.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * A world whose provider is reached over https through the proxy (the proxy
 * never lets a byte through, so nothing listens for TLS), holding a credential
 * logged in over plain loopback http and then pointed at the https endpoints:
 * fresh for `call`, expired for `token` and `refresh`.
 */
async function httpsWorld(world: World, { expired }: { expired: boolean }): Promise<{ refreshToken: string }> {
  await loginAcme(world)
  const exported = await world.cli(['export', 'acme'])
  expectExit(exported, 0)
  const decoded = decodeBundle(exported.stdout)
  if (!decoded.ok) throw new Error(decoded.reason)
  const https = `https://127.0.0.1:${new URL(world.fp.url).port}`
  world.home.writeConfig({
    providers: { acme: { ...acmeEntry(world.fp), token_endpoint: `${https}/token`, revocation_endpoint: `${https}/revoke`, api_base_url: `${https}/api` } },
  })
  const credential = {
    ...decoded.credential,
    token_endpoint: `${https}/token`,
    expires_at: new Date(Date.now() + (expired ? -3600_000 : 3600_000)).toISOString(),
  }
  expectExit(await world.cli(['import'], { stdin: `${encodeBundle(credential)}\n` }), 0)
  return { refreshToken: String(credential.refresh_token) }
}

async function storedRefreshToken(world: World): Promise<string> {
  const exported = await world.cli(['export', 'acme'])
  expectExit(exported, 0)
  const decoded = decodeBundle(exported.stdout)
  if (!decoded.ok) throw new Error(decoded.reason)
  return String(decoded.credential.refresh_token)
}

function expectNamesTheProxy(stderr: string, proxy: TunnelProxy): void {
  expect(stderr).toContain(`the proxy 127.0.0.1:${proxy.port} (HTTPS_PROXY)`)
  expect(stderr).not.toContain('hunter2')
  expect(stderr).not.toContain('proxyuser')
}

describe('a proxy that closes the CONNECT tunnel at once', BOUNDED, () => {
  it.for([
    { command: 'call', args: ['call', 'acme', '/things'], expired: false, attempts: 4 },
    { command: 'refresh', args: ['refresh', 'acme'], expired: true, attempts: 3 },
    { command: 'token', args: ['token', 'acme'], expired: true, attempts: 3 },
  ])('$command ends with exit 5 naming the proxy, after a few CONNECTs, nothing lost', async ({ args, expired, attempts }, { makeWorld }) => {
    const world = await makeWorld()
    const { refreshToken } = await httpsWorld(world, { expired })
    const proxy = await startTunnelProxy('close')
    try {
      const sent = world.fp.requests.length
      const run = await world.cli(args, { env: { HTTPS_PROXY: proxy.url, NO_PROXY: '' }, timeoutMs: 60_000 })
      expectExit(run, 5)
      expect(run.stdout).toBe('')
      expectNamesTheProxy(run.stderr, proxy)
      expect(run.stderr).toMatch(/closed the connection/)
      // No more than the retry policy's attempts: each one a single CONNECT, never a re-dial loop.
      expect(proxy.connects()).toBeGreaterThanOrEqual(1)
      expect(proxy.connects()).toBeLessThanOrEqual(attempts)
      // The tunnel never opened, so the refresh token never left: it is kept, and no "may have spent" is said.
      expect(run.stderr).not.toMatch(/may have spent/)
      expect(world.fp.requests).toHaveLength(sent)
      expect(await storedRefreshToken(world)).toBe(refreshToken)
    } finally {
      await proxy.close()
    }
  })
})

describe('a proxy that takes the CONNECT and never answers it', BOUNDED, () => {
  it.for([
    { command: 'call', args: ['call', 'acme', '/things', '--request-timeout', '1'], expired: false },
    { command: 'refresh', args: ['refresh', 'acme', '--request-timeout', '1'], expired: true },
  ])('$command times out within --request-timeout, naming the proxy (exit 5)', async ({ args, expired }, { makeWorld }) => {
    const world = await makeWorld()
    const { refreshToken } = await httpsWorld(world, { expired })
    const proxy = await startTunnelProxy('silent')
    try {
      const run = await world.cli(args, { env: { HTTPS_PROXY: proxy.url, NO_PROXY: '' }, timeoutMs: 60_000 })
      expectExit(run, 5)
      expect(run.stdout).toBe('')
      expectNamesTheProxy(run.stderr, proxy)
      expect(run.stderr).toMatch(/timed out/)
      expect(proxy.connects()).toBeLessThanOrEqual(4)
      expect(await storedRefreshToken(world)).toBe(refreshToken)
    } finally {
      await proxy.close()
    }
  })
})

describe('a proxy that asks for credentials (407)', BOUNDED, () => {
  it.for([
    { through: 'a CONNECT tunnel (HTTPS_PROXY)', variable: 'HTTPS_PROXY', https: true },
    { through: 'a forwarded plain-http request (HTTP_PROXY)', variable: 'HTTP_PROXY', https: false },
  ])('through $through: says to put credentials in the variable, or that it refused the ones there, never printing them (exit 5)', async ({ variable, https }, { makeWorld }) => {
    const world = await makeWorld()
    if (https) await httpsWorld(world, { expired: false })
    else await loginAcme(world)
    const sent = world.fp.requests.length
    for (const credentials of ['', 'proxyuser:hunter2-secret']) {
      const proxy = await startTunnelProxy('407', credentials)
      try {
        const run = await world.cli(['call', 'acme', '/things'], { env: { [variable]: proxy.url, NO_PROXY: '' } })
        expectExit(run, 5)
        expect(run.stdout).toBe('')
        const [message, ...hint] = run.stderr.trimEnd().split('\n')
        expect(message).toContain(`the proxy 127.0.0.1:${proxy.port} (${variable})`)
        expect(message).toContain('HTTP 407')
        // undici's own wording is not what the user reads.
        expect(run.stderr).not.toMatch(/Proxy response|Proxy Authentication Required|HTTP Tunneling/)
        if (credentials === '') expect(hint.join('\n')).toMatch(new RegExp(`user name and password in the URL in ${variable}`))
        else expect(hint.join('\n')).toMatch(new RegExp(`refused the user name and password in ${variable}`))
        expect(run.stderr).not.toContain('hunter2')
        expect(run.stderr).not.toContain('proxyuser')
      } finally {
        await proxy.close()
      }
    }
    expect(world.fp.requests).toHaveLength(sent)
  })
})
