/**
 * The one-shot loopback listener for the authorization code redirect.
 * It accepts exactly one callback with the right path and `state`, holds the
 * browser's request open until the code exchange is done (so the page tells
 * the truth), then answers and closes itself.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.3
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  ListenError,
  type CallbackOutcome,
  type CallbackServer,
  type CallbackServerOptions,
  type ReceivedCallback,
  type StartCallbackServer,
} from './callback-server'
import { renderPage, type PageKind } from './pages'

/** How long the browser's callback request is held open waiting for `respond()`. */
export const HOLD_RESPONSE_MS = 30_000

const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
} as const

interface BindTarget {
  host: string
  /** `localhost` also binds ::1 when the machine has it; 127.0.0.1 alone will do. */
  optional: boolean
}

interface ListenTarget {
  binds: BindTarget[]
  port: number
  path: string
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/**
 * Starts listening on the loopback address(es) of `redirectUri` and returns
 * once bound. Throws ListenError when the port is taken or not allowed.
 */
export const startCallbackServer: StartCallbackServer = async (options) => {
  options.signal?.throwIfAborted()
  const target = parseTarget(options.redirectUri)
  const listener = new OneShotListener(options, target.path)
  const { servers, port } = await bindServers(target, (req, res) => listener.handle(req, res))
  const served = new URL(options.redirectUri.href)
  served.port = String(port)
  listener.attach(servers, served.host)
  return listener.toCallbackServer(served.href)
}

function parseTarget(uri: URL): ListenTarget {
  const port = uri.port ? Number(uri.port) : 80
  const fail = (why: string): never => {
    throw new ListenError('other', uri.hostname, port, { cause: new Error(why) })
  }
  if (uri.protocol !== 'http:') fail('the redirect URI is not http:')
  const path = uri.pathname
  switch (uri.hostname) {
    case '127.0.0.1':
      return { binds: [{ host: '127.0.0.1', optional: false }], port, path }
    case '[::1]':
      return { binds: [{ host: '::1', optional: false }], port, path }
    case 'localhost':
      // Browsers may resolve localhost to either address; answer on both.
      return { binds: [{ host: '127.0.0.1', optional: false }, { host: '::1', optional: true }], port, path }
    default:
      return fail('the redirect URI host is not a loopback address')
  }
}

/** Binds the first host (picking the port when 0), then the others on the same port. */
async function bindServers(target: ListenTarget, handler: Handler): Promise<{ servers: Server[]; port: number }> {
  const [first, ...rest] = target.binds
  if (!first) throw new ListenError('other', '', target.port)
  // With port 0 the number picked on 127.0.0.1 may be taken on ::1; try a few.
  const attempts = target.port === 0 ? 5 : 1
  for (let attempt = 1; ; attempt++) {
    const primary = await listenOn(first.host, target.port, handler)
    const port = (primary.address() as AddressInfo).port
    try {
      const others = await bindOthers(rest, port, handler)
      return { servers: [primary, ...others], port }
    } catch (err) {
      await closeServer(primary)
      const retry = attempt < attempts && err instanceof ListenError && err.code === 'port_in_use'
      if (!retry) throw err
    }
  }
}

/** Codes meaning "this machine has no IPv6 loopback", which an optional bind may ignore. */
const NO_ADDRESS_CODES = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EPROTONOSUPPORT'])

async function bindOthers(binds: BindTarget[], port: number, handler: Handler): Promise<Server[]> {
  const servers: Server[] = []
  try {
    for (const bind of binds) {
      try {
        servers.push(await listenOn(bind.host, port, handler))
      } catch (err) {
        const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code
        if (!bind.optional || !code || !NO_ADDRESS_CODES.has(code)) throw err
      }
    }
    return servers
  } catch (err) {
    await Promise.all(servers.map(closeServer))
    throw err
  }
}

function listenOn(host: string, port: number, handler: Handler): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler)
    server.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code === 'EADDRINUSE' ? 'port_in_use' : err.code === 'EACCES' ? 'permission' : 'other'
      reject(new ListenError(code, host, port, { cause: err }))
    })
    server.listen({ host, port, exclusive: true }, () => resolve(server))
  })
}

/** Stops listening and ends every open connection (a browser's keep-alive would hold it open). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** Whether exactly one `state` was sent and it equals the expected one, compared in constant time. */
function stateMatches(params: URLSearchParams, expected: string): boolean {
  const values = params.getAll('state')
  if (values.length !== 1 || values[0] === undefined) return false
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(values[0]), digest(expected))
}

/**
 * Whether a request was addressed to the redirect URI's own host and port. A page
 * on a name rebound to 127.0.0.1 (DNS rebinding) reaches the socket, but its
 * browser still sends that name in `Host`.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.3
 */
function addressedTo(hostHeader: string | undefined, expected: string): boolean {
  if (!hostHeader) return false
  try {
    const url = new URL(`http://${hostHeader}`)
    return url.host === expected && url.pathname === '/' && !url.username && !url.password
  } catch {
    return false
  }
}

function samePath(actual: string, expected: string): boolean {
  const trim = (path: string): string => (path.length > 1 ? path.replace(/\/+$/, '') : path)
  return trim(actual) === trim(expected)
}

function sendPage(res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve) => {
    if (res.writableEnded || res.destroyed) return resolve()
    res.once('close', () => resolve())
    res.writeHead(status, { ...PAGE_HEADERS, 'Content-Length': String(Buffer.byteLength(html)), ...extra })
    res.end(html, () => resolve())
  })
}

/** The state of one listener: waiting, holding the callback, or closed. */
class OneShotListener {
  private servers: Server[] = []
  /** `host:port` of the redirect URI as served (URL.host form: lower-case, no default port). */
  private host = ''
  private held: ServerResponse | undefined
  private holdTimer: NodeJS.Timeout | undefined
  private received = false
  private landing: string | undefined
  private closing: Promise<void> | undefined
  private settle!: { resolve: (cb: ReceivedCallback) => void; reject: (err: unknown) => void }
  private readonly result: Promise<ReceivedCallback>
  private readonly onAbort = (): void => {
    this.settle.reject(this.options.signal?.reason)
    void this.close()
  }

  constructor(
    private readonly options: CallbackServerOptions,
    private readonly path: string,
  ) {
    this.result = new Promise<ReceivedCallback>((resolve, reject) => {
      this.settle = { resolve, reject }
    })
    // Nobody may be waiting yet when an abort rejects it.
    this.result.catch(() => undefined)
  }

  attach(servers: Server[], host: string): void {
    this.servers = servers
    this.host = host
    this.options.signal?.addEventListener('abort', this.onAbort, { once: true })
    if (this.options.signal?.aborted) this.onAbort()
  }

  toCallbackServer(redirectUri: string): CallbackServer {
    return {
      redirectUri,
      setLandingRedirect: (url) => this.setLanding(redirectUri, url),
      waitForCallback: () => this.result,
      close: () => this.close(),
    }
  }

  private setLanding(redirectUri: string, url: string): string | undefined {
    if (samePath('/', this.path)) return undefined
    this.landing = url
    return new URL('/', redirectUri).href
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    // Before anything else, the landing redirect included: its Location carries the state.
    if (!addressedTo(req.headers.host, this.host)) {
      void this.refuse(res, 400, 'This address only answers requests made to the sign-in callback address itself.')
      return
    }
    if (req.method !== 'GET') {
      void this.refuse(res, 405, 'Only GET requests are expected here.', { Allow: 'GET' })
      return
    }
    const url = parseRequestUrl(req.url)
    if (url?.pathname === '/favicon.ico' && this.path !== '/favicon.ico') {
      res.writeHead(404, { 'Cache-Control': 'no-store', 'Content-Length': '0' }).end()
      return
    }
    if (this.landing && url?.pathname === '/' && !this.received) {
      res.writeHead(302, { Location: this.landing, 'Cache-Control': 'no-store', 'Content-Length': '0' }).end()
      return
    }
    const problem = this.check(url)
    if (problem) {
      void this.refuse(res, 400, problem)
      return
    }
    this.hold(res, (url as URL).searchParams)
  }

  /** Why a request is not the callback, or undefined when it is. */
  private check(url: URL | undefined): string | undefined {
    if (!url || !samePath(url.pathname, this.path)) return 'This is not the sign-in callback address.'
    if (this.received || this.closing) return 'A sign-in callback was already received; this one was ignored.'
    if (!stateMatches(url.searchParams, this.options.expectedState)) {
      return 'The state parameter is missing or does not match the sign-in in progress.'
    }
    if (!url.searchParams.has('code') && !url.searchParams.has('error')) {
      return 'The request carries neither an authorization code nor an error.'
    }
    return undefined
  }

  private refuse(res: ServerResponse, status: number, message: string, extra?: Record<string, string>): Promise<void> {
    return sendPage(res, status, this.page('bad_request', message), extra)
  }

  private page(kind: PageKind, message?: string): string {
    return renderPage(kind, { providerName: this.options.providerName, profile: this.options.profile, message })
  }

  private hold(res: ServerResponse, params: URLSearchParams): void {
    this.received = true
    this.held = res
    this.holdTimer = setTimeout(() => void this.answer(200, 'closed'), HOLD_RESPONSE_MS)
    this.holdTimer.unref()
    this.settle.resolve({ params, respond: (outcome) => this.respond(outcome) })
  }

  private async respond(outcome: CallbackOutcome): Promise<void> {
    if (outcome.ok) await this.answer(200, outcome.relayed ? 'relayed' : 'success')
    else await this.answer(400, 'error', outcome.message)
    await this.close()
  }

  /** Answers the held callback request once; later calls do nothing. */
  private async answer(status: number, kind: PageKind, message?: string): Promise<void> {
    clearTimeout(this.holdTimer)
    const res = this.held
    this.held = undefined
    if (res) await sendPage(res, status, this.page(kind, message), { Connection: 'close' })
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.options.signal?.removeEventListener('abort', this.onAbort)
      this.settle.reject(new Error('the callback listener was closed before a callback arrived'))
      await this.answer(200, 'closed')
      await Promise.all(this.servers.map(closeServer))
    })()
    return this.closing
  }
}

function parseRequestUrl(raw: string | undefined): URL | undefined {
  try {
    return new URL(raw ?? '/', 'http://loopback.invalid')
  } catch {
    return undefined
  }
}
