/**
 * The small HTTP toolkit the sandbox's handlers share: body reading, JSON and
 * HTML answers with the right security headers, and the per-server context.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SandboxClient } from './clients'
import { pageCsp } from './pages'
import type { SandboxState } from './state'

/** What every handler gets besides the request and the response. */
export interface SandboxContext {
  /** `http://127.0.0.1:PORT`, also the issuer. */
  url: string
  state: SandboxState
  clients: ReadonlyMap<string, SandboxClient>
  autoApprove: boolean
}

export type Handler = (req: IncomingMessage, res: ServerResponse, ctx: SandboxContext) => Promise<void>

/** Request bodies here are a handful of parameters; anything larger is refused. */
const MAX_BODY_BYTES = 64 * 1024

export class BodyTooLargeError extends Error {
  constructor() {
    super(`the request body is larger than ${MAX_BODY_BYTES} bytes`)
    this.name = 'BodyTooLargeError'
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError()
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export type ParsedParams = { ok: true; params: URLSearchParams } | { ok: false; description: string }

/**
 * Reads a form body (RFC 6749) or, for providers' clients that send JSON, a
 * flat JSON object of strings, into the same parameters.
 */
export async function readParams(req: IncomingMessage): Promise<ParsedParams> {
  const text = await readBody(req)
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type === 'application/x-www-form-urlencoded') return { ok: true, params: new URLSearchParams(text) }
  if (type !== 'application/json') {
    return { ok: false, description: 'send application/x-www-form-urlencoded (or application/json)' }
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return { ok: false, description: 'the JSON body does not parse' }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, description: 'the JSON body must be an object' }
  const entries = Object.entries(body)
  if (entries.some(([, value]) => typeof value !== 'string')) return { ok: false, description: 'every JSON parameter must be a string' }
  return { ok: true, params: new URLSearchParams(entries as Array<[string, string]>) }
}

/** The first parameter repeated (RFC 6749 §3.1: parameters must not be repeated). */
export function findRepeated(params: URLSearchParams): string | undefined {
  const seen = new Set<string>()
  for (const name of params.keys()) {
    if (seen.has(name)) return name
    seen.add(name)
  }
  return undefined
}

/** Token-ish answers are never cached. @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1 */
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...NO_STORE,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  })
  res.end(text)
}

/** An RFC 6749 §5.2 error body. */
export function sendOAuthError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error, error_description: description }, headers)
}

export function sendHtml(res: ServerResponse, status: number, html: string, formTargets: readonly string[] = []): void {
  res.writeHead(status, {
    ...NO_STORE,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(html)),
    'Content-Security-Policy': pageCsp(formTargets),
    'X-Frame-Options': 'DENY',
    // Not no-referrer: with it, browsers send `Origin: null` on the page's own form posts.
    'Referrer-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
  })
  res.end(html)
}

export function sendRedirect(res: ServerResponse, status: 302 | 303, location: string): void {
  res.writeHead(status, { ...NO_STORE, Location: location, 'Content-Length': '0', 'Referrer-Policy': 'no-referrer' })
  res.end()
}

/** The request's query, parsed against the server's own base. */
export function requestUrl(req: IncomingMessage, base: string): URL {
  return new URL(req.url ?? '/', base)
}

const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * Whether the Host header names this machine: a page on another site that
 * rebinds its DNS name to 127.0.0.1 still sends its own name, and is refused.
 */
export function isLoopbackHost(req: IncomingMessage): boolean {
  const host = req.headers.host
  if (!host || !URL.canParse(`http://${host}`)) return false
  return LOOPBACK_HOSTNAMES.has(new URL(`http://${host}`).hostname)
}

/**
 * Whether a form post comes from one of the sandbox's own pages: a browser
 * sends `Origin` (and `Sec-Fetch-Site`) on a post, and another site's differ.
 * Clients without them (curl, tests) are not browsers and cannot be forged into posting.
 */
export function isSameOriginPost(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false
  const origin = req.headers.origin
  return origin === undefined || origin === `http://${req.headers.host ?? ''}`
}
