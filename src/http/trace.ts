/**
 * The `--verbose` trace: a curl-like account of each request and response,
 * with every header, URL and body passed through redaction first.
 * Lines start with `> ` (sent), `< ` (received), `* ` (info) or `! ` (failure).
 */
import { redactBody, redactHeaders, redactText, redactUrl } from './redact'
import type { HttpClient, HttpRequestInit } from './types'

/** Bodies longer than this are cut in the trace (after redaction, so no secret is split). */
export const TRACE_BODY_LIMIT = 2048

/** Wraps a client so that every exchange is written, redacted, line by line. */
export function withTrace(http: HttpClient, write: (line: string) => void): HttpClient {
  return async (url, init = {}) => {
    const requestHeaders = new Headers(init.headers ?? undefined)
    write(`> ${(init.method ?? 'GET').toUpperCase()} ${redactUrl(url)}`)
    writeHeaders('>', requestHeaders, write)
    const requestBody = describeRequestBody(init, requestHeaders.get('content-type') ?? undefined)
    if (requestBody !== undefined) writeBody('>', requestBody, write)
    const started = performance.now()
    let res: Response
    try {
      res = await http(url, init)
    } catch (err) {
      write(`! ${redactText(err instanceof Error ? err.message : String(err))}`)
      throw err
    }
    const elapsed = Math.round(performance.now() - started)
    write(`< ${res.status}${res.statusText ? ` ${res.statusText}` : ''} (${elapsed} ms)`)
    writeHeaders('<', res.headers, write)
    const responseBody = await describeResponseBody(res)
    if (responseBody !== undefined) writeBody('<', responseBody, write)
    return res
  }
}

function writeHeaders(prefix: string, headers: Headers, write: (line: string) => void): void {
  for (const [name, value] of Object.entries(redactHeaders(headers))) write(`${prefix} ${name}: ${value}`)
}

function writeBody(prefix: string, body: string, write: (line: string) => void): void {
  write(prefix)
  for (const line of truncate(body).split(/\r?\n/)) write(`${prefix} ${line}`)
}

function truncate(text: string): string {
  if (text.length <= TRACE_BODY_LIMIT) return text
  return `${text.slice(0, TRACE_BODY_LIMIT)}\n… (${text.length - TRACE_BODY_LIMIT} more characters)`
}

function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return true
  return /^text\/|json|xml|x-www-form-urlencoded|javascript|graphql/i.test(contentType)
}

function describeRequestBody(init: HttpRequestInit, contentType: string | undefined): string | undefined {
  const { body } = init
  if (body === undefined || body === null) return undefined
  if (body instanceof URLSearchParams) return redactBody(body.toString(), 'application/x-www-form-urlencoded')
  if (typeof body === 'string') return redactBody(body, contentType)
  if (!isTextual(contentType)) return `[${body.byteLength} bytes]`
  return redactBody(new TextDecoder().decode(body), contentType)
}

async function describeResponseBody(res: Response): Promise<string | undefined> {
  if (!res.body) return undefined
  const contentType = res.headers.get('content-type') ?? undefined
  // The client buffers every body, so a clone costs a copy and leaves the original readable.
  const bytes = new Uint8Array(await res.clone().arrayBuffer())
  if (bytes.byteLength === 0) return undefined
  if (!isTextual(contentType)) return `[${bytes.byteLength} bytes]`
  return redactBody(new TextDecoder().decode(bytes), contentType)
}
