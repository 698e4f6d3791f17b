/**
 * Proxies and private CAs, end to end: the real CLI reaches an HTTPS provider
 * (TLS with a certificate from a CA this test generates) through a real
 * CONNECT proxy started here on 127.0.0.1, for the code exchange, the refresh
 * and the API call alike.
 */
import { createServer as createHttpServer, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { acmeEntry, apiRequests, createWorld, expectExit, grantTypes, last, parseStdout, type World } from './world'
import { join } from 'node:path'
import { hasOpenssl } from '../support/openssl'
import { makePki, startTlsFront, type Pki, type TlsFront } from '../support/tls-front'


/** Sockets to destroy at the end: tunnels and keep-alive connections outlive their servers' close(). */
const sockets = new Set<Socket>()
function track(socket: Socket): Socket {
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
  return socket
}

function pipeBoth(a: Socket, b: Socket): void {
  a.on('error', () => b.destroy())
  b.on('error', () => a.destroy())
  a.pipe(b).pipe(a)
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A forward proxy that only tunnels (CONNECT), and records every request line it gets. */
async function startConnectProxy(): Promise<{ server: Server; url: string; seen: string[] }> {
  const seen: string[] = []
  const server = createHttpServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    res.writeHead(502).end('this proxy only tunnels')
  })
  server.on('connect', (req, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`)
    track(client)
    const [host, port] = (req.url ?? '').split(':')
    const upstream = track(connect(Number(port), host === 'localhost' ? '127.0.0.1' : host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      pipeBoth(client, upstream)
    }))
    upstream.on('error', () => client.destroy())
  })
  const port = await listen(server)
  return { server, url: `http://127.0.0.1:${port}`, seen }
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

describe.skipIf(!hasOpenssl())('HTTPS through a CONNECT proxy with a private CA', { timeout: 30_000 }, () => {
  let pki: Pki
  let world: World
  let front: TlsFront
  let frontPort: number
  let proxy: { server: Server; url: string; seen: string[] }
  let proxyEnv: Record<string, string>
  const connects = (): string[] => proxy.seen.filter((line) => line === `CONNECT localhost:${frontPort}`)

  beforeAll(async () => {
    pki = makePki()
    world = await createWorld()
    front = await startTlsFront(pki, Number(new URL(world.fp.url).port))
    frontPort = Number(new URL(front.url).port)
    proxy = await startConnectProxy()
    const https = front.url
    // The browser's leg (authorize → loopback redirect) stays plain loopback http; every request the CLI makes is https.
    world.home.writeConfig({
      providers: {
        acme: { ...acmeEntry(world.fp), token_endpoint: `${https}/token`, revocation_endpoint: `${https}/revoke`, api_base_url: `${https}/api` },
      },
    })
    proxyEnv = { HTTPS_PROXY: proxy.url, NO_PROXY: '' }
    const login = await world.cli(['login', 'acme', '--cacert', pki.caFile], { env: proxyEnv })
    expectExit(login, 0)
  })

  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await Promise.all([front?.close(), proxy && close(proxy.server), world?.close()])
    pki?.remove()
  })

  it('exchanged the code at the https token endpoint through a CONNECT tunnel', () => {
    expect(grantTypes(world.fp)[0]).toBe('authorization_code')
    expect(connects().length).toBeGreaterThan(0)
    expect(proxy.seen.filter((line) => !line.startsWith('CONNECT '))).toEqual([])
  })

  it('calls the API and refreshes through the proxy with --cacert', async () => {
    const before = connects().length
    const call = await world.cli(['call', 'acme', '/things', '--cacert', pki.caFile], { env: proxyEnv })
    expectExit(call, 0)
    expect(parseStdout<{ path: string }>(call).path).toBe('/api/things')
    const refresh = await world.cli(['refresh', 'acme', '--cacert', pki.caFile], { env: proxyEnv })
    expectExit(refresh, 0)
    expect(last(grantTypes(world.fp))).toBe('refresh_token')
    expect(connects().length).toBeGreaterThanOrEqual(before + 2)
  })

  it('trusts the CA from NODE_EXTRA_CA_CERTS as well', async () => {
    const before = connects().length
    const run = await world.cli(['call', 'acme', '/things'], { env: { ...proxyEnv, NODE_EXTRA_CA_CERTS: pki.caFile } })
    expectExit(run, 0)
    expect(connects().length).toBe(before + 1)
  })

  it('exits 5 naming --cacert and NODE_EXTRA_CA_CERTS when the CA is not trusted', async () => {
    const seenBefore = apiRequests(world.fp).length
    const run = await world.cli(['call', 'acme', '/things'], { env: proxyEnv })
    expectExit(run, 5)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/TLS/)
    expect(run.stderr).toContain('--cacert')
    expect(run.stderr).toContain('NODE_EXTRA_CA_CERTS')
    expect(apiRequests(world.fp)).toHaveLength(seenBefore)
  })

  it('goes direct for a host in NO_PROXY', async () => {
    const before = proxy.seen.length
    const run = await world.cli(['call', 'acme', '/things', '--cacert', pki.caFile], { env: { ...proxyEnv, NO_PROXY: 'localhost' } })
    expectExit(run, 0)
    expect(proxy.seen.length).toBe(before)
  })

  it('exits 2 naming the file when --cacert cannot be read', async () => {
    const missing = join(pki.dir, 'no-such-ca.pem')
    const run = await world.cli(['call', 'acme', '/things', '--cacert', missing], { env: proxyEnv })
    expectExit(run, 2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(missing)
    expect(run.stderr).toContain('--cacert')
  })

  it('exits 2 when the --cacert file holds no certificate', async () => {
    const run = await world.cli(['call', 'acme', '/things', '--cacert', join(pki.dir, 'leaf.ext')], { env: proxyEnv })
    expectExit(run, 2)
    expect(run.stderr).toContain('leaf.ext')
  })
})
