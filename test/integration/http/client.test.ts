import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { bodyChunks, forEachChunk, readBytes } from '../../../src/http/body'
import { createHttpClient } from '../../../src/http/client'
import { ConfigError } from '../../../src/providers/errors'
import { TransportError, type ChunkedBody, type HttpClient } from '../../../src/http/types'
import { hasOpenssl } from '../../support/openssl'

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void

const servers: Server[] = []
/** Sockets a server no longer tracks (CONNECT tunnels), destroyed after each test. */
const detached: Array<{ destroy(): void }> = []

async function listen(server: Server): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A real server on 127.0.0.1 that hands each request, with its body read, to `handler`. */
async function startServer(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')))
  })
  return `http://127.0.0.1:${await listen(server)}`
}

async function closedPort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

async function expectTransportError(promise: Promise<unknown>): Promise<TransportError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(TransportError)
  return err as TransportError
}

function client(options: { timeoutMs?: number; env?: Record<string, string>; userAgent?: string; ca?: string } = {}): Promise<HttpClient> {
  return createHttpClient({ userAgent: 'oauth-cli/test', ...options, env: options.env ?? {} })
}

afterEach(async () => {
  for (const socket of detached.splice(0)) socket.destroy()
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve())
          s.closeAllConnections?.()
        }),
    ),
  )
})

describe('createHttpClient (node:http) against real servers', () => {
  it('passes status, headers and body through, without loading the global Response', async () => {
    let seen: { method?: string; headers?: IncomingMessage['headers']; body?: string } = {}
    const base = await startServer((req, res, body) => {
      seen = { method: req.method, headers: req.headers, body }
      res.writeHead(201, { 'content-type': 'application/json', 'x-trace': 'abc', 'set-cookie': ['a=1', 'b=2'] })
      res.end('{"ok":true}')
    })
    const http = await client()
    const res = await http(`${base}/items?x=1`, { method: 'post', headers: { 'X-Custom': 'yes' }, body: '{"n":1}' })
    expect(res).not.toBeInstanceOf(Response)
    expect(res.status).toBe(201)
    expect(res.statusText).toBe('Created')
    expect(res.headers.get('x-trace')).toBe('abc')
    expect(res.headers.get('set-cookie')).toContain('a=1')
    expect(await res.json()).toEqual({ ok: true })
    expect(seen.method).toBe('POST')
    expect(seen.headers?.['x-custom']).toBe('yes')
    expect(seen.headers?.['user-agent']).toBe('oauth-cli/test')
    expect(seen.headers?.['content-type']).toBe('text/plain;charset=UTF-8')
    expect(seen.body).toBe('{"n":1}')
  })

  it('sends URLSearchParams as a form and keeps a caller-set User-Agent', async () => {
    let seen: { headers?: IncomingMessage['headers']; body?: string } = {}
    const base = await startServer((req, res, body) => {
      seen = { headers: req.headers, body }
      res.end('ok')
    })
    const http = await client()
    const body = new URLSearchParams({ grant_type: 'authorization_code', code: 'abc' })
    await http(`${base}/token`, { method: 'POST', headers: { 'user-agent': 'mine/1' }, body })
    expect(seen.headers?.['user-agent']).toBe('mine/1')
    expect(seen.headers?.['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8')
    expect(seen.body).toBe('grant_type=authorization_code&code=abc')
  })

  it.each([204, 304])('answers %i with a null body', async (status) => {
    const base = await startServer((_req, res) => {
      res.writeHead(status, { etag: '"v1"' }).end()
    })
    const res = await (await client())(`${base}/thing`)
    expect(res.status).toBe(status)
    expect(res.body).toBeNull()
    expect(await res.text()).toBe('')
  })

  it('never follows a redirect', async () => {
    let followed = false
    const base = await startServer((req, res) => {
      if (req.url === '/elsewhere') followed = true
      res.writeHead(302, { location: '/elsewhere' }).end()
    })
    const res = await (await client())(`${base}/start`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/elsewhere')
    expect(followed).toBe(false)
  })

  it('turns a status the Response constructor refuses into a TransportError', async () => {
    const base = await startServer((_req, res) => {
      res.writeHead(999).end('odd')
    })
    const err = await expectTransportError((await client())(`${base}/odd`))
    expect(err.kind).toBe('other')
    expect(err.message).toContain('999')
  })

  it('times out with kind "timeout" when the server never answers', async () => {
    const base = await startServer(() => undefined)
    const err = await expectTransportError((await client({ timeoutMs: 200 }))(`${base}/slow?code=s3cr3t-code`))
    expect(err.kind).toBe('timeout')
    expect(err.message).toMatch(/timed out .*127\.0\.0\.1:\d+/)
    expect(err.url).toBe(`${base}/slow`)
  })

  it('reports a refused connection as "connect", naming host and port but not the query', async () => {
    const port = await closedPort()
    const err = await expectTransportError((await client())(`http://127.0.0.1:${port}/token?code=s3cr3t-code`))
    expect(err.kind).toBe('connect')
    expect(err.message).toBe(`could not connect to 127.0.0.1:${port} (connection refused)`)
    expect(err.url).toBe(`http://127.0.0.1:${port}/token`)
  })

  it('reports a socket destroyed by the server as "reset"', async () => {
    const base = await startServer((req) => req.socket.destroy())
    const err = await expectTransportError((await client())(`${base}/boom`))
    expect(err.kind).toBe('reset')
  })

  it('reports a body that stalls mid-way as "timeout"', async () => {
    const base = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('partial')
    })
    const res = await (await client({ timeoutMs: 200 }))(`${base}/stall`)
    const err = await expectTransportError(res.text())
    expect(err.kind).toBe('timeout')
    expect(err.message).toMatch(/^timed out reading the response body from 127\.0\.0\.1:\d+$/)
  })

  it('reports a body cut off by the server as "reset"', async () => {
    const base = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('partial', () => res.socket?.destroy())
    })
    const res = await (await client())(`${base}/cut`)
    const err = await expectTransportError(res.arrayBuffer())
    expect(err.kind).toBe('reset')
  })

  it('reports an aborted request as "aborted"', async () => {
    const base = await startServer(() => undefined)
    const controller = new AbortController()
    const pending = (await client())(`${base}/wait`, { signal: controller.signal })
    controller.abort()
    const err = await expectTransportError(pending)
    expect(err.kind).toBe('aborted')
  })
})

/** A forward proxy that serves `api.test` itself and records what it was asked for. */
async function startProxy(): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = []
  const proxy = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`via proxy: ${req.url}`)
  })
  return { url: `http://127.0.0.1:${await listen(proxy)}`, seen }
}

describe('createHttpClient proxy support', () => {
  it('sends plain-http requests through HTTP_PROXY in absolute form', async () => {
    const proxy = await startProxy()
    const http = await client({ env: { HTTP_PROXY: proxy.url } })
    const res = await http('http://api.test/hello?x=1')
    expect(await res.text()).toBe('via proxy: http://api.test/hello?x=1')
    expect(proxy.seen).toEqual(['GET http://api.test/hello?x=1'])
  })

  it('honours lower-case http_proxy too', async () => {
    const proxy = await startProxy()
    const http = await client({ env: { http_proxy: proxy.url } })
    await http('http://api.test/lower')
    expect(proxy.seen).toEqual(['GET http://api.test/lower'])
  })

  it('reads a proxy variable without a scheme (host:port) as http://host:port, as curl does', async () => {
    const proxy = await startProxy()
    const http = await client({ env: { HTTP_PROXY: proxy.url.replace('http://', '') } })
    expect(await (await http('http://api.test/bare')).text()).toBe('via proxy: http://api.test/bare')
    expect(proxy.seen).toEqual(['GET http://api.test/bare'])
  })

  it.each([
    ['HTTPS_PROXY', 'http://ci:hunter2-secret@[proxy'],
    ['https_proxy', 'ftp://ci:hunter2-secret@proxy.example'],
    ['HTTP_PROXY', '::'],
  ])('refuses %s=%s, which names no proxy, as a configuration error naming the variable and never its value', async (name, value) => {
    const error = await client({ env: { [name]: value } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toBe(`${name} is not the URL of a proxy`)
    expect((error as ConfigError).hint).toContain(`set ${name} to the proxy's URL, such as http://proxy.example:3128`)
    expect(JSON.stringify({ ...(error as ConfigError), message: (error as Error).message })).not.toContain('hunter2')
  })

  it('bypasses the proxy for hosts in NO_PROXY', async () => {
    const proxy = await startProxy()
    const base = await startServer((_req, res) => res.end('direct'))
    const http = await client({ env: { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' } })
    expect(await (await http(`${base}/x`)).text()).toBe('direct')
    expect(proxy.seen).toEqual([])
  })
})


describe.skipIf(!hasOpenssl())('createHttpClient TLS', () => {
  let dir: string
  const cert = (name: string): { key: string; cert: string; certFile: string } => {
    const keyFile = join(dir, `${name}.key`)
    const certFile = join(dir, `${name}.crt`)
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${name}`,
      '-addext', 'subjectAltName=DNS:localhost,DNS:api.test,IP:127.0.0.1',
    ], { stdio: 'ignore' })
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile }
  }
  let server: { key: string; cert: string; certFile: string }
  let other: { key: string; cert: string; certFile: string }
  let base: string
  let port: number

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oauth-cli-tls-'))
    server = cert('server')
    other = cert('other')
    const https = createHttpsServer({ key: server.key, cert: server.cert }, (_req, res) => res.end('secure'))
    port = await new Promise<number>((resolve) => https.listen(0, '127.0.0.1', () => resolve((https.address() as AddressInfo).port)))
    base = `https://127.0.0.1:${port}`
    afterAll(
      () =>
        new Promise<void>((resolve) => {
          https.close(() => resolve())
          https.closeAllConnections()
        }),
    )
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('refuses an untrusted certificate with kind "tls"', async () => {
    const err = await expectTransportError((await client())(`${base}/x`))
    expect(err.kind).toBe('tls')
    expect(err.message).toContain(`127.0.0.1:${port}`)
  })

  it('trusts a certificate given as ca', async () => {
    const res = await (await client({ ca: server.cert }))(`${base}/x`)
    expect(await res.text()).toBe('secure')
  })

  it('still trusts NODE_EXTRA_CA_CERTS when ca names another certificate', async () => {
    const http = await client({ ca: other.cert, env: { NODE_EXTRA_CA_CERTS: server.certFile } })
    expect(await (await http(`${base}/x`)).text()).toBe('secure')
  })

  it('tunnels https through HTTPS_PROXY with CONNECT and verifies the target with ca', async () => {
    const connects: string[] = []
    const proxy = createServer()
    proxy.on('connect', (req: IncomingMessage, socket: import('node:net').Socket) => {
      connects.push(req.url ?? '')
      const upstream = connect(port, '127.0.0.1', () => {
        detached.push(socket, upstream)
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.pipe(socket).pipe(upstream)
      })
      upstream.on('error', () => socket.destroy())
      socket.on('error', () => upstream.destroy())
    })
    const proxyPort = await listen(proxy)
    const http = await client({ ca: server.cert, env: { HTTPS_PROXY: `http://127.0.0.1:${proxyPort}` } })
    const res = await http('https://api.test/secure')
    expect(await res.text()).toBe('secure')
    expect(connects).toEqual(['api.test:443'])
  })
})

describe('createHttpClient (node:http) bodies and connections', () => {
  it('reuses one keep-alive connection for requests in the same process', async () => {
    const ports = new Set<number>()
    const base = await startServer((req, res) => {
      ports.add(req.socket.remotePort ?? 0)
      res.end('ok')
    })
    const http = await client()
    for (let i = 0; i < 3; i++) expect(await (await http(`${base}/n${i}`)).text()).toBe('ok')
    expect(ports.size).toBe(1)
  })

  it.each([
    ['gzip', (b: Buffer) => gzipSync(b)],
    ['br', (b: Buffer) => brotliCompressSync(b)],
    ['deflate', (b: Buffer) => deflateSync(b)],
  ])('decodes a %s body and drops the headers that described the encoded bytes', async (coding, encode) => {
    let asked: string | undefined
    const base = await startServer((req, res) => {
      asked = req.headers['accept-encoding']
      const encoded = encode(Buffer.from('{"hello":"world"}'))
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding, 'content-length': encoded.length })
      res.end(encoded)
    })
    const res = await (await client())(`${base}/z`)
    expect(await res.json()).toEqual({ hello: 'world' })
    expect(res.headers.has('content-encoding')).toBe(false)
    expect(res.headers.has('content-length')).toBe(false)
    expect(asked).toBe('gzip, deflate, br')
  })

  it('reports a corrupt gzip body as a TransportError when it is read', async () => {
    const base = await startServer((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' })
      res.end('definitely not gzip')
    })
    const res = await (await client())(`${base}/bad`)
    const err = await expectTransportError(res.text())
    expect(err.message).toMatch(/could not be decoded/)
  })

  it('hands over the first chunk of a body before the server has sent the rest', async () => {
    let finish: (() => void) | undefined
    const base = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first;')
      finish = () => res.end('rest')
    })
    const res = await (await client())(`${base}/slowly`)
    const iterator = bodyChunks(res)
    const first = await iterator.next()
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe('first;')
    finish?.()
    const rest: string[] = []
    for await (const chunk of iterator) rest.push(Buffer.from(chunk).toString())
    expect(rest.join('')).toBe('rest')
  })

  it('does not time out a body whose reader is slow, only a server that stalls', async () => {
    const base = await startServer((_req, res) => {
      res.writeHead(200)
      res.write('a')
      res.end('b')
    })
    const res = await (await client({ timeoutMs: 100 }))(`${base}/ok`)
    // The reader takes its time (longer than the timeout) before reading.
    await new Promise<void>((resolve) => setTimeout(resolve, 300))
    expect(await res.text()).toBe('ab')
  })
})

describe('a body pushed to its consumer (forEachChunk, what call -o writes from)', () => {
  const body = (res: { body: unknown }) => res.body as ChunkedBody

  it('hands over every chunk in order, the next only once the promise for the last settled', async () => {
    const parts = Array.from({ length: 40 }, (_, i) => Buffer.alloc(32 * 1024, i))
    const base = await startServer((_req, res) => {
      res.writeHead(200)
      for (const part of parts) res.write(part)
      res.end()
    })
    const res = await (await client())(`${base}/big`)
    expect(typeof body(res).eachChunk).toBe('function')
    const got: Buffer[] = []
    let busy = false
    let overlapped = false
    await forEachChunk(body(res), (chunk) => {
      if (busy) overlapped = true
      got.push(Buffer.from(chunk))
      if (got.length % 3 !== 0) return undefined
      busy = true
      return new Promise<void>((resolve) =>
        setImmediate(() => {
          busy = false
          resolve()
        }),
      )
    })
    expect(overlapped).toBe(false)
    expect(Buffer.concat(got).equals(Buffer.concat(parts))).toBe(true)
  })

  it('rejects with "reset" when the server cuts the body off', async () => {
    const base = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('partial', () => res.socket?.destroy())
    })
    const res = await (await client())(`${base}/cut`)
    const err = await expectTransportError(forEachChunk(body(res), () => undefined))
    expect(err.kind).toBe('reset')
  })

  it('rejects with "timeout" when the body stalls mid-way', async () => {
    const base = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('partial')
    })
    const res = await (await client({ timeoutMs: 200 }))(`${base}/stall`)
    const err = await expectTransportError(forEachChunk(body(res), () => undefined))
    expect(err.kind).toBe('timeout')
  })

  it('does not time out while the consumer takes its time with a chunk', async () => {
    const base = await startServer((_req, res) => {
      res.writeHead(200)
      res.write('a', () => setImmediate(() => res.end('b')))
    })
    const res = await (await client({ timeoutMs: 100 }))(`${base}/ok`)
    const got: string[] = []
    await forEachChunk(body(res), (chunk) => {
      got.push(Buffer.from(chunk).toString())
      // Longer than the timeout: a slow disk, not a stalled server.
      return got.length === 1 ? new Promise<void>((resolve) => setTimeout(resolve, 300)) : undefined
    })
    expect(got.join('')).toBe('ab')
  })

  it('stops the body with the error a consumer throws (a full disk)', async () => {
    const base = await startServer((_req, res) => {
      res.writeHead(200)
      res.write('a', () => setImmediate(() => res.end('b')))
    })
    const res = await (await client())(`${base}/ok`)
    const full = Object.assign(new Error('no space left'), { code: 'ENOSPC' })
    await expect(forEachChunk(body(res), () => Promise.reject(full))).rejects.toBe(full)
  })
})

describe('a body read whole (readBytes, what token answers and pages are parsed from)', () => {
  it('holds every chunk, in order', async () => {
    const parts = Array.from({ length: 8 }, (_, i) => Buffer.alloc(16 * 1024, i))
    const base = await startServer((_req, res) => {
      res.writeHead(200)
      for (const part of parts) res.write(part)
      res.end()
    })
    const res = await (await client())(`${base}/whole`)
    expect(Buffer.from(await readBytes(res)).equals(Buffer.concat(parts))).toBe(true)
  })

  it('refuses a body past its limit and drops the connection instead of reading the rest', async () => {
    let closed!: () => void
    const gone = new Promise<void>((resolve) => (closed = resolve))
    const base = await startServer((_req, res) => {
      res.writeHead(200)
      res.on('close', closed)
      // Never ends by itself: only the reader hanging up stops it.
      const more = (): void => void (res.destroyed || res.write(Buffer.alloc(8 * 1024, 1), () => setImmediate(more)))
      more()
    })
    const res = await (await client())(`${base}/endless`)
    const err = await expectTransportError(readBytes(res, 64 * 1024, `${base}/endless?x=1`))
    expect(err.message).toContain('is larger than')
    expect(err.message).not.toContain('x=1')
    await gone
  })

  it('refuses a body past its limit when the body is only iterable', async () => {
    let stopped = false
    const body = (async function* () {
      try {
        for (;;) yield new Uint8Array(1024)
      } finally {
        stopped = true
      }
    })()
    const err = await expectTransportError(readBytes({ body } as unknown as Parameters<typeof readBytes>[0], 4096))
    expect(err.message).toContain('is larger than')
    expect(stopped).toBe(true)
  })
})
