/**
 * The token request over the production node:http client, against a real
 * loopback server: what reaches the wire, and that neither oauth4webapi nor
 * the fetch globals (whose first use loads Node's bundled undici and its
 * WebAssembly parser) are touched on the way.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpClient } from '../../../src/http/client'
import { OAuthError } from '../../../src/oauth/errors'
import { requestToken, type TokenEndpointContext } from '../../../src/oauth/token-endpoint'
import type { ClientSecret, RefreshToken } from '../../../src/oauth/types'

interface Seen {
  method?: string
  url?: string
  headers: IncomingHttpHeaders
  body: string
}

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

async function tokenServer(status: number, answer: unknown): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8').on('data', (c: string) => (body += c))
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body })
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(JSON.stringify(answer))
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, seen }
}

const FETCH_GLOBALS = ['fetch', 'Headers', 'Request', 'Response', 'FormData'] as const

/** Makes any use of the fetch globals throw until the returned function is called. */
function forbidFetchGlobals(): () => void {
  const saved = FETCH_GLOBALS.map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const)
  for (const name of FETCH_GLOBALS) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        throw new Error(`the token request touched globalThis.${name}`)
      },
    })
  }
  return () => {
    for (const [name, descriptor] of saved) {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor)
      else delete (globalThis as Record<string, unknown>)[name]
    }
  }
}

async function context(url: string, overrides: Partial<TokenEndpointContext> = {}): Promise<TokenEndpointContext> {
  return {
    metadata: { issuer: new URL(url).origin, token_endpoint: url },
    client: { client_id: 'cli app', client_secret: 's3cr:t+/=' as ClientSecret, token_endpoint_auth_method: 'client_secret_basic' },
    encoding: 'form',
    http: await createHttpClient({ env: {}, userAgent: 'oauth-cli/test' }),
    now: () => 1_000,
    ...overrides,
  }
}

describe('the token request over node:http', () => {
  it('refreshes with a form body and Basic client credentials, without the fetch globals', async () => {
    const server = await tokenServer(200, { access_token: 'at-2', token_type: 'Bearer', expires_in: 60, refresh_token: 'rt-2' })
    const ctx = await context(server.url)
    const restore = forbidFetchGlobals()
    let tokens
    try {
      tokens = await requestToken(ctx, { grant_type: 'refresh_token', refresh_token: 'rt-1' as RefreshToken })
    } finally {
      restore()
    }
    expect(tokens).toMatchObject({ access_token: 'at-2', refresh_token: 'rt-2', expires_at: 61_000 })
    const [request] = server.seen
    expect(request).toMatchObject({ method: 'POST', url: '/token' })
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8')
    expect(request?.headers.accept).toBe('application/json')
    expect(request?.headers['user-agent']).toBe('oauth-cli/test')
    const [user, password] = Buffer.from(String(request?.headers.authorization).replace(/^Basic /, ''), 'base64').toString().split(':')
    expect([user, password]).toEqual(['cli+app', 's3cr%3At%2B%2F%3D'])
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-1' })
  })

  it('sends JSON when the provider asks for it, and maps an error answer to an OAuthError', async () => {
    const server = await tokenServer(400, { error: 'invalid_grant', error_description: 'refresh token revoked' })
    const ctx = await context(server.url, { encoding: 'json', client: { client_id: 'cid', client_secret: 'sec' as ClientSecret, token_endpoint_auth_method: 'client_secret_post' } })
    const restore = forbidFetchGlobals()
    let err: unknown
    try {
      err = await requestToken(ctx, { grant_type: 'refresh_token', refresh_token: 'rt-1' as RefreshToken }).catch((e: unknown) => e)
    } finally {
      restore()
    }
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toMatchObject({ error: 'invalid_grant', error_description: 'refresh token revoked', status: 400 })
    expect(server.seen[0]?.headers['content-type']).toBe('application/json')
    expect(JSON.parse(server.seen[0]?.body ?? '')).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-1', client_id: 'cid', client_secret: 'sec' })
  })
})
