/**
 * A socks5:// proxy, end to end, with a minimal SOCKS5 server (RFC 1928, no
 * authentication) on loopback: requests go through it without Node printing
 * undici's notice that its SOCKS5 support is experimental (nothing the user
 * can act on), and a proxy that opens the tunnel and then never passes an
 * answer back ends within --request-timeout (undici's SOCKS5 pools wait 300 s
 * for a response head, whatever the agent's timeouts say).
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { describe, expect } from 'vitest'
import { apiRequests, expectExit, it, loginAcme, parseStdout, SUITE } from './world'

/** Each command must end: bounded generously, for a loaded machine (a hang is what fails). */
const BOUNDED = { ...SUITE, timeout: 90_000 }

interface SocksProxy {
  url: string
  port: number
  tunnels(): number
  close(): Promise<void>
}

/** Reads exactly `n` bytes that the client sends next (SOCKS5 messages are small, but may come split). */
function readBytes(socket: Socket, n: number, buffered: { data: Buffer }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (buffered.data.length < n) return
      socket.off('data', onData)
      socket.off('close', onClose)
      const out = buffered.data.subarray(0, n)
      buffered.data = buffered.data.subarray(n)
      resolve(out)
    }
    const onData = (chunk: Buffer): void => {
      buffered.data = Buffer.concat([buffered.data, chunk])
      check()
    }
    const onClose = (): void => reject(new Error('closed'))
    socket.on('data', onData)
    socket.once('close', onClose)
    check()
  })
}

/** A SOCKS5 proxy that tunnels each CONNECT to its target, or (`hold`) says it connected and then passes nothing either way. */
async function startSocksProxy(mode: 'tunnel' | 'hold'): Promise<SocksProxy> {
  let tunnels = 0
  const sockets = new Set<Socket>()
  const track = (socket: Socket): Socket => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    return socket
  }
  const server: Server = createServer((client) => {
    track(client)
    const buffered = { data: Buffer.alloc(0) }
    void (async () => {
      const [, methods] = await readBytes(client, 2, buffered)
      await readBytes(client, methods!, buffered)
      client.write(Buffer.from([5, 0]))
      const [, , , type] = await readBytes(client, 4, buffered)
      let host: string
      if (type === 1) host = [...(await readBytes(client, 4, buffered))].join('.')
      else if (type === 3) host = (await readBytes(client, (await readBytes(client, 1, buffered))[0]!, buffered)).toString('latin1')
      else throw new Error(`address type ${type}`)
      const port = (await readBytes(client, 2, buffered)).readUInt16BE(0)
      tunnels++
      const connected = Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0])
      if (mode === 'hold') return void client.write(connected)
      const upstream = track(connect(port, host === 'localhost' ? '127.0.0.1' : host, () => {
        client.write(connected)
        if (buffered.data.length > 0) upstream.write(buffered.data)
        client.pipe(upstream).pipe(client)
      }))
      upstream.on('close', () => client.destroy())
      client.on('close', () => upstream.destroy())
    })().catch(() => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `socks5://127.0.0.1:${port}`,
    port,
    tunnels: () => tunnels,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

describe('a socks5:// proxy', BOUNDED, () => {
  it('carries the request, and nothing but the answer is printed (no experimental-feature warning)', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const proxy = await startSocksProxy('tunnel')
    try {
      const before = apiRequests(world.fp).length
      const run = await world.cli(['call', 'acme', '/things'], { env: { HTTP_PROXY: proxy.url, NO_PROXY: '' } })
      expectExit(run, 0)
      expect(parseStdout<{ path: string }>(run).path).toBe('/api/things')
      expect(run.stderr).toBe('')
      expect(proxy.tunnels()).toBe(1)
      expect(apiRequests(world.fp)).toHaveLength(before + 1)
    } finally {
      await proxy.close()
    }
  })

  it('that never passes the answer back: the refresh times out within --request-timeout, naming the proxy (exit 5)', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { accessTokenTtl: 0 } })
    await loginAcme(world)
    const proxy = await startSocksProxy('hold')
    try {
      const run = await world.cli(['refresh', 'acme', '--request-timeout', '1'], { env: { HTTP_PROXY: proxy.url, NO_PROXY: '' }, timeoutMs: 60_000 })
      expectExit(run, 5)
      expect(run.stdout).toBe('')
      expect(run.stderr).toMatch(/timed out/)
      expect(run.stderr).toContain(`the proxy 127.0.0.1:${proxy.port} (HTTP_PROXY)`)
      expect(run.stderr).not.toContain('ExperimentalWarning')
      expect(proxy.tunnels()).toBe(1)
    } finally {
      await proxy.close()
    }
  })
})
