import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpClient } from '../../../src/http/client'
import { TRACE_BODY_LIMIT, withTrace } from '../../../src/http/trace'
import { TransportError } from '../../../src/http/types'

const SECRETS = {
  bearer: 'at-0123456789abcdef',
  clientSecret: 'cs-abcdef0123456789',
  code: 'code-9876543210fedcba',
  refresh: 'rt-fedcba9876543210',
  newAccess: 'at-new-aaaaaaaaaaaaaaaa',
  newRefresh: 'rt-new-bbbbbbbbbbbbbbbb',
  cookie: 'sid-cccccccccccccccc',
}

let server: Server | undefined

async function startServer(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler)
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

afterEach(async () => {
  await new Promise<void>((resolve) => {
    if (!server) return resolve()
    server.close(() => resolve())
    server.closeAllConnections()
  })
  server = undefined
})

async function tracedClient(lines: string[], timeoutMs?: number) {
  const http = await createHttpClient({ env: {}, userAgent: 'oauth-cli/test', timeoutMs })
  return withTrace(http, (line) => lines.push(line))
}

describe('withTrace', () => {
  it('writes request and response lines with every secret redacted', async () => {
    const base = await startServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': `sid=${SECRETS.cookie}` })
        res.end(JSON.stringify({ access_token: SECRETS.newAccess, refresh_token: SECRETS.newRefresh, token_type: 'Bearer', expires_in: 3600 }))
      })
    })
    const lines: string[] = []
    const http = await tracedClient(lines)
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: SECRETS.refresh,
      client_secret: SECRETS.clientSecret,
      code: SECRETS.code,
      client_id: 'public-id',
    })
    const res = await http(`${base}/token?code=${SECRETS.code}&state=st-1`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${SECRETS.bearer}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    })
    // The caller still gets the untouched body.
    expect((await res.json()) as unknown).toMatchObject({ access_token: SECRETS.newAccess })

    const trace = lines.join('\n')
    expect(lines[0]).toBe(`> POST ${base}/token?code=[redacted]&state=st-1`)
    expect(lines).toContain('> authorization: Bearer [redacted]')
    expect(trace).toContain('> grant_type=refresh_token&refresh_token=[redacted]&client_secret=[redacted]&code=[redacted]&client_id=public-id')
    expect(lines.some((l) => /^< 200 OK \(\d+ ms\)$/.test(l))).toBe(true)
    expect(lines).toContain('< content-type: application/json')
    expect(lines).toContain('< set-cookie: [redacted]')
    expect(trace).toContain('"access_token":"[redacted]"')
    expect(trace).toContain('"token_type":"Bearer"')
    for (const secret of Object.values(SECRETS)) expect(trace).not.toContain(secret)
  })

  it('replaces each known secret once: the marker one replacement leaves is never matched again', async () => {
    const base = await startServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo': 'redacted' })
        res.end(JSON.stringify({ note: 'redacted' }))
      })
    })
    const lines: string[] = []
    const http = withTrace(await createHttpClient({ env: {}, userAgent: 'oauth-cli/test' }), (line) => lines.push(line), () => ['redacted'])
    await (await http(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'redacted' })).text()
    expect(lines).toContain('< x-echo: [redacted]')
    expect(lines).toContain('< {"note":"[redacted]"}')
    expect(lines).toContain('> [redacted]')
    expect(lines.join('\n')).not.toContain('[[redacted]]')
  })

  it('cuts long bodies after redaction', async () => {
    const base = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('x'.repeat(TRACE_BODY_LIMIT + 500))
    })
    const lines: string[] = []
    const res = await (await tracedClient(lines))(`${base}/big`)
    expect((await res.text()).length).toBe(TRACE_BODY_LIMIT + 500)
    expect(lines).toContain('< … (500 more characters)')
  })

  it('writes a "!" line for a transport failure and rethrows it', async () => {
    const base = await startServer(() => undefined)
    const lines: string[] = []
    const http = await tracedClient(lines, 200)
    await expect(http(`${base}/slow?code=${SECRETS.code}`)).rejects.toBeInstanceOf(TransportError)
    expect(lines.at(-1)).toMatch(/^! timed out waiting for a response from 127\.0\.0\.1:\d+$/)
    expect(lines.join('\n')).not.toContain(SECRETS.code)
  })
})
