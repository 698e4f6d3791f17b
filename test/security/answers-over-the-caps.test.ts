/**
 * An answer larger than the tool reads was reported as a network failure
 * (exit 5, "cannot reach", "check your network"): a `call` error body over
 * 32 MiB that the provider's api_error_hints read (and it was not on stdout
 * either), a token reply over 32 MiB, response headers over 16 KiB. The server
 * answered, too much: `call`'s error status exits 4 with the whole body on
 * stdout; a token reply or headers refused exit 1, saying what was too large.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sandboxCredential, securityHomes, type SecurityHome } from './support'

const MiB = 1024 * 1024
/** Over the 32 MiB a body read whole may hold. */
const BODY_BYTES = 33 * MiB
const ERROR_HEAD = '{"error":{"type":"misdirected_request","data":{"region":"fra"}},"padding":"'

let server: Server
let base: string

/** `head`, then `x` up to `total` bytes and `"}`, written with back-pressure. */
function sendLarge(res: import('node:http').ServerResponse, status: number, head: string, total: number): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': total })
  res.write(head)
  const chunk = Buffer.alloc(MiB, 'x')
  let left = total - head.length - 2
  const pump = (): void => {
    while (left > 0) {
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left)
      left -= part.length
      if (!res.write(part)) return void res.once('drain', pump)
    }
    res.end('"}')
  }
  pump()
}

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      // Absolute-form when the server is the proxy too.
      const path = new URL(req.url ?? '/', base).pathname
      if (path === '/token') return sendLarge(res, 200, '{"access_token":"at-huge-answer","token_type":"Bearer","x":"', BODY_BYTES)
      if (path === '/api/huge-error') return sendLarge(res, 400, ERROR_HEAD, BODY_BYTES)
      if (path === '/api/huge-headers') return void res.writeHead(200, { 'x-big': 'a'.repeat(20 * 1024) }).end('ok')
      res.writeHead(404).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const homes = securityHomes()

/** A home with `acme` pointing at the server (with a LiveChat-like hint that reads the error body) and a credential planted. */
async function acmeHome(expired: boolean): Promise<SecurityHome> {
  const home = homes()
  home.writeConfig({
    providers: {
      acme: {
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        api_base_url: `${base}/api`,
        client_id: 'cid',
        redirect_uri: 'http://127.0.0.1:0/callback',
        api_error_hints: [{ body_field: 'error.type', equals: 'misdirected_request', message: 'wrong region, use {error.data.region}' }],
      },
    },
  })
  const expiresAt = new Date(Date.now() + (expired ? -60_000 : 3600_000)).toISOString()
  await home.plant(sandboxCredential({ provider: 'acme', expires_at: expiresAt }))
  return home
}

function expectNoNetworkBlame(stderr: string): void {
  expect(stderr).not.toMatch(/cannot reach|network/)
}

describe('answers larger than the tool reads', () => {
  it('a call error body over 32 MiB still goes to stdout whole, and exits 4', async () => {
    const home = await acmeHome(false)
    const run = await home.cli(['call', 'acme', '/huge-error'], {}, 60_000)
    expect(run.exitCode, run.stderr).toBe(4)
    expect(run.stdout.length).toBe(BODY_BYTES)
    expect(run.stdout.startsWith(ERROR_HEAD)).toBe(true)
    expect(run.stderr).toMatch(/acme answered HTTP 400/)
    expectNoNetworkBlame(run.stderr)
  }, 90_000)

  it('a token reply over 32 MiB is refused, exit 1, naming the cap', async () => {
    const home = await acmeHome(true)
    const run = await home.cli(['token', 'acme'], {}, 60_000)
    expect(run.exitCode, run.stderr).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/too large: the response body from 127\.0\.0\.1:\d+ is larger than 32 MiB/)
    expectNoNetworkBlame(run.stderr)
  }, 90_000)

  it.each([
    ['directly', [], false],
    ['with --verbose', ['--verbose'], false],
    ['through a proxy', [], true],
  ] as Array<[string, string[], boolean]>)('response headers over 16 KiB are refused, exit 1, naming the cap (%s)', async (_how, flags, proxied) => {
    const home = await acmeHome(false)
    const run = await home.cli(['call', 'acme', '/huge-headers', ...flags], proxied ? { HTTP_PROXY: base } : {})
    expect(run.exitCode, run.stderr).toBe(1)
    expect(run.stderr).toMatch(/too large: the response headers from 127\.0\.0\.1:\d+ are larger than 16 KiB/)
    expectNoNetworkBlame(run.stderr)
  })
})
