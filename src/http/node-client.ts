/**
 * The HttpClient for every request without a proxy: node:http and node:https
 * (a bare node:http request takes ~36 ms where fetch takes ~125 ms, most of it
 * V8 optimising fetch's WebAssembly parser at exit). One keep-alive agent per
 * scheme for the life of the process (idle sockets do not hold it open), and
 * the timeouts undici had: connecting (TLS included), waiting for the
 * response head, and each wait for the next body chunk, each bounded by
 * `timeoutMs`. A reader that is slow to take chunks (a full pipe) is not a
 * stalled server, so the body timer runs only while the reader waits.
 */
// The module objects, read at call time: nock (tests) replaces their `request`.
import http, { type Agent, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http'
import type { Socket } from 'node:net'
import { DEFAULT_TIMEOUT_MS, prepareRequest, toTransportError, withTransportDefaults } from './client'
import { streamedResponse } from './streamed-response'
import type { HttpClient, HttpResponse } from './types'

export interface NodeHttpClientOptions {
  timeoutMs?: number
  userAgent?: string
  /** The whole trust store for https (system roots plus extras); Node's default when absent. */
  ca?: string[]
}

interface Transport {
  request: (url: URL, options: RequestOptions) => ClientRequest
  agent: Agent
  secure: boolean
}

export function createNodeHttpClient(options: NodeHttpClientOptions = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let plain: Transport | undefined
  let secure: Promise<Transport> | undefined
  const transportFor = async (url: URL): Promise<Transport> => {
    if (url.protocol !== 'https:') {
      return (plain ??= { request: (u, o) => http.request(u, o), agent: new http.Agent({ keepAlive: true }), secure: false })
    }
    // node:https (and with it node:tls) loads only for an https URL.
    secure ??= import('node:https').then(({ default: https }) => ({
      request: (u: URL, o: RequestOptions) => https.request(u, o),
      agent: new https.Agent({ keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) }),
      secure: true,
    }))
    return secure
  }
  return async (url, init = {}) => {
    const target = new URL(url)
    const prepared = prepareRequest(init, options.userAgent)
    const headers = withTransportDefaults(prepared.headers)
    if (prepared.body !== undefined) headers['content-length'] = String(Buffer.byteLength(prepared.body))
    const transport = await transportFor(target)
    return send(transport, target, { method: prepared.method, headers, body: prepared.body }, init.signal ?? undefined, timeoutMs, init.abortUnsent)
  }
}

type Phase = 'connect' | 'headers' | 'body'

const TIMEOUT_CODES: Record<Phase, string> = {
  connect: 'UND_ERR_CONNECT_TIMEOUT',
  headers: 'UND_ERR_HEADERS_TIMEOUT',
  body: 'UND_ERR_BODY_TIMEOUT',
}

function send(
  transport: Transport,
  target: URL,
  request: { method: string; headers: Record<string, string | string[]>; body: string | Uint8Array | undefined },
  signal: AbortSignal | undefined,
  timeoutMs: number,
  unsent: AbortSignal | undefined,
): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    if (signal?.aborted || unsent?.aborted) return reject(toTransportError(abortError(), target, signal))
    let phase: Phase = 'connect'
    let settled = false
    let response: IncomingMessage | undefined
    // Destroying the response (not the request) once it exists, so its reader sees the error, not a silent end.
    const destroy = (err: Error): void => void (response ? response.destroy(err) : req.destroy(err))
    // One timer for the whole exchange: arming (once per body chunk) only notes the time; the
    // timer, when it fires, fails the request if the wait armed then has lasted timeoutMs.
    let timer: NodeJS.Timeout | undefined
    let armedAt: number | undefined
    const check = (): void => {
      timer = undefined
      if (armedAt === undefined) return
      const left = armedAt + timeoutMs - Date.now()
      if (left > 0) return void (timer = setTimeout(check, left).unref())
      destroy(Object.assign(new Error(`${phase} timeout`), { code: TIMEOUT_CODES[phase] }))
    }
    const disarm = (): void => void (armedAt = undefined)
    const arm = (): void => {
      armedAt = Date.now()
      // Unreferenced: while a wait is armed the socket holds the process open.
      timer ??= setTimeout(check, timeoutMs).unref()
    }
    const onAbort = (): void => destroy(abortError())
    // Only while connecting: nothing of the request has been written yet.
    const onUnsent = (): void => void (phase === 'connect' && destroy(abortError()))
    const done = (): void => {
      disarm()
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      unsent?.removeEventListener('abort', onUnsent)
    }
    const fail = (err: unknown): void => {
      if (settled) return
      settled = true
      done()
      reject(toTransportError(err, target, signal))
    }
    let req: ClientRequest
    try {
      req = transport.request(target, { method: request.method, headers: request.headers, agent: transport.agent })
    } catch (err) {
      // An invalid header or method, refused before anything was sent.
      return reject(toTransportError(err, target, signal))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    unsent?.addEventListener('abort', onUnsent, { once: true })
    arm()
    req.on('socket', (socket: Socket) => {
      const connected = (): void => {
        if (phase !== 'connect') return
        // Ahead of the request's own write (prepended): the last moment it can still be dropped unsent.
        if (unsent?.aborted) return destroy(abortError())
        phase = 'headers'
        unsent?.removeEventListener('abort', onUnsent)
        arm()
      }
      if (socket.connecting) socket.prependOnceListener(transport.secure ? 'secureConnect' : 'connect', connected)
      else connected()
    })
    req.on('error', fail)
    req.on('response', (res: IncomingMessage) => {
      response = res
      phase = 'body'
      disarm()
      res.once('end', done)
      res.once('close', done)
      streamedResponse({
        url: target,
        method: request.method,
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: res,
        waiting: (waiting) => (waiting && !res.readableEnded ? arm() : disarm()),
      }).then((answer) => {
        if (settled) return
        settled = true
        resolve(answer)
      }, fail)
    })
    if (request.body === undefined) req.end()
    else req.end(request.body)
  })
}

function abortError(): Error {
  return Object.assign(new Error('the request was aborted'), { name: 'AbortError' })
}
