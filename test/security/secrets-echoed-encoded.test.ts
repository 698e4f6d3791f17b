/**
 * A token endpoint that answers 400 with the form body it received in
 * error_description echoes the refresh token and the client secret
 * percent-encoded, as they travelled: `token` printed both in clear on stderr,
 * and `--verbose` did too (only the raw and JSON-escaped forms were redacted).
 * Every known secret is redacted in each form it travels in.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sandboxCredential, securityHomes } from './support'

const REFRESH_TOKEN = 'r/t+1=2&3 x'
const CLIENT_SECRET = 's3cr/t+x=y&z%Q'

let server: Server
let base: string

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      const received = body.replace(/&/g, ' ').replace(/=/g, ': ')
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: 'invalid_request', error_description: `got ${received} (was ${body})` }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const home = securityHomes()

/** Each form a value can travel in: raw, percent-encoded, form-encoded, and what is left of it after a `&`. */
function forms(value: string): string[] {
  const percent = encodeURIComponent(value)
  return [value, percent, percent.replace(/%20/g, '+'), percent.toLowerCase(), value.slice(value.indexOf('&'))]
}

describe('secrets a server echoes percent-encoded', () => {
  it.each([[[]], [['--verbose']]])('are redacted from token%s', async (flags: string[]) => {
    const h = home()
    h.writeConfig({
      providers: {
        acme: {
          authorization_endpoint: `${base}/authorize`,
          token_endpoint: `${base}/token`,
          api_base_url: `${base}/api`,
          client_id: 'cid',
          client_secret: CLIENT_SECRET,
          token_endpoint_auth_method: 'client_secret_post',
          redirect_uri: 'http://127.0.0.1:0/callback',
        },
      },
    })
    await h.plant(
      sandboxCredential({ provider: 'acme', refresh_token: REFRESH_TOKEN, expires_at: new Date(Date.now() - 60_000).toISOString() }),
    )
    const run = await h.cli(['token', 'acme', ...flags])
    expect(run.exitCode, run.stderr).toBe(1)
    expect(run.stderr).toMatch(/got grant_type: refresh_token/)
    for (const secret of [REFRESH_TOKEN, CLIENT_SECRET]) {
      for (const form of forms(secret)) expect(run.stderr).not.toContain(form)
    }
    // The message around the secrets is left whole, its closing parenthesis included.
    expect(run.stderr).toMatch(/\(was grant_type=refresh_token&refresh_token=\[redacted\]&.*client_secret=\[redacted\]\)/)
  })
})
