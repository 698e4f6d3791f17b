/**
 * `oauth-cli sandbox`: a small, standards-following OAuth 2.0 provider on
 * 127.0.0.1, for trying the tool without an account anywhere. Authorization
 * code with PKCE and a real consent page, refresh with rotation and reuse
 * detection, device authorization, revocation, discovery metadata, and a
 * protected API. Everything is in memory.
 * @see https://www.rfc-editor.org/rfc/rfc6749
 * @see https://www.rfc-editor.org/rfc/rfc7636
 * @see https://www.rfc-editor.org/rfc/rfc7009
 * @see https://www.rfc-editor.org/rfc/rfc8414
 * @see https://www.rfc-editor.org/rfc/rfc8628
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ListenError } from '../oauth/callback-server'
import { closeServer } from '../oauth/loopback'
import { handleItems, handleMe } from './api-routes'
import { handleAuthorize, handleAuthorizeDecision } from './authorize-routes'
import { SANDBOX_CLIENTS } from './clients'
import { handleDeviceAuthorization, handleDeviceDecision, handleDevicePage } from './device-routes'
import { BodyTooLargeError, isLoopbackHost, requestUrl, sendHtml, sendJson, type Handler, type SandboxContext } from './http'
import { renderHomePage, renderNoticePage } from './pages'
import { sandboxEndpoints, SANDBOX_CLIENT_ID, SANDBOX_DEFAULT_ACCESS_TOKEN_TTL, SANDBOX_DEFAULT_PORT, SANDBOX_SCOPES } from './provider'
import { SandboxState, type SandboxStats } from './state'
import { handleRevoke, handleToken } from './token-routes'

export { SANDBOX_CLIENT_ID, SANDBOX_DEFAULT_PORT } from './provider'

export interface SandboxOptions {
  /** Default SANDBOX_DEFAULT_PORT; 0 picks a free port. */
  port?: number
  host?: '127.0.0.1'
  /** Seconds; default SANDBOX_DEFAULT_ACCESS_TOKEN_TTL (10 min); short ones show refreshes. */
  accessTokenTtl?: number
  /** Seconds; default 86400. */
  refreshTokenTtl?: number
  /** Seconds between device polls; default 5 (RFC 8628 §3.2). */
  deviceInterval?: number
  /** For headless demos: authorization and device requests are approved without a page. Default false. */
  autoApprove?: boolean
  /** Epoch milliseconds; injectable so tests can expire codes and tokens. */
  now?: () => number
}

export interface Sandbox {
  /** `http://127.0.0.1:PORT`, also the issuer. */
  url: string
  /** Stops listening and drops every open connection. */
  close(): Promise<void>
  stats(): SandboxStats
}

/** RFC 8414 authorization server metadata. @see https://www.rfc-editor.org/rfc/rfc8414#section-2 */
export function buildMetadata(url: string): Record<string, unknown> {
  const authMethods = ['none', 'client_secret_basic', 'client_secret_post']
  return {
    ...sandboxEndpoints(url),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_methods_supported: authMethods,
    scopes_supported: Object.keys(SANDBOX_SCOPES),
    authorization_response_iss_parameter_supported: true,
  }
}

const ROUTES: Readonly<Record<string, Partial<Record<string, Handler>>>> = {
  '/': { GET: async (_req, res, ctx) => sendHtml(res, 200, renderHomePage(ctx.url, SANDBOX_CLIENT_ID)) },
  '/.well-known/oauth-authorization-server': { GET: async (_req, res, ctx) => sendJson(res, 200, buildMetadata(ctx.url)) },
  '/authorize': { GET: handleAuthorize },
  '/authorize/decision': { POST: handleAuthorizeDecision },
  '/token': { POST: handleToken },
  '/revoke': { POST: handleRevoke },
  '/device_authorization': { POST: handleDeviceAuthorization },
  '/device': { GET: handleDevicePage },
  '/device/decision': { POST: handleDeviceDecision },
  '/api/me': { GET: handleMe },
  '/api/items': { GET: handleItems },
}

async function dispatch(req: IncomingMessage, res: ServerResponse, ctx: SandboxContext): Promise<void> {
  if (!isLoopbackHost(req)) return sendJson(res, 421, { error: 'invalid_request', error_description: 'the Host header must name 127.0.0.1 or localhost' })
  const path = requestUrl(req, ctx.url).pathname
  const methods = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined
  const handler = methods?.[req.method ?? 'GET']
  if (!methods) {
    if (path.startsWith('/api/')) return sendJson(res, 404, { errors: [{ status: '404', title: 'Not Found', detail: `no ${path} here` }] })
    return sendHtml(res, 404, renderNoticePage('Not found', 'There is no such page in the sandbox.', 'bad'))
  }
  if (!handler) return sendJson(res, 405, { error: 'method_not_allowed' }, { Allow: Object.keys(methods).join(', ') })
  try {
    await handler(req, res, ctx)
  } catch (err) {
    if (res.headersSent) return void res.destroy()
    if (err instanceof BodyTooLargeError) return sendJson(res, 413, { error: 'invalid_request', error_description: err.message })
    sendJson(res, 500, { error: 'server_error', error_description: 'the sandbox failed to answer this request' })
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code === 'EADDRINUSE' ? 'port_in_use' : err.code === 'EACCES' ? 'permission' : 'other'
      reject(new ListenError(code, host, port, { cause: err }))
    })
    server.listen({ host, port, exclusive: true }, () => resolve((server.address() as AddressInfo).port))
  })
}

/**
 * Starts the sandbox and resolves once it listens. Throws ListenError when the
 * port is taken or not allowed.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1'
  const state = new SandboxState({
    now: options.now ?? Date.now,
    accessTokenTtl: options.accessTokenTtl ?? SANDBOX_DEFAULT_ACCESS_TOKEN_TTL,
    refreshTokenTtl: options.refreshTokenTtl ?? 86_400,
    deviceInterval: options.deviceInterval ?? 5,
  })
  const context: { current?: SandboxContext } = {}
  const server = createServer((req, res) => {
    if (context.current) dispatch(req, res, context.current).catch(() => res.destroy())
    else res.destroy()
  })
  const port = await listen(server, host, options.port ?? SANDBOX_DEFAULT_PORT)
  const url = `http://${host}:${port}`
  context.current = { url, state, clients: SANDBOX_CLIENTS, autoApprove: options.autoApprove ?? false }
  return { url, close: () => closeServer(server), stats: () => state.stats() }
}
