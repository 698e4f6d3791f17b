/**
 * The `--verbose` trace: a curl-like account of each request and response,
 * with every header, URL and body passed through redaction first.
 * Lines start with `> ` (sent), `< ` (received), `* ` (info) or `! ` (failure).
 */
import { bodyChunks, concat, readBytes } from './body'
import { headerEntries } from './client'
import { byCodeUnits } from '../platform/sort'
import { escapeControls } from '../platform/terminal-text'
import { redactBody, redactHeaders, redactKnown, redactRequestHeaders, redactText, redactUrl } from './redact'
import type { HttpClient, HttpRequestInit, HttpResponse } from './types'

/** Bodies longer than this are cut in the trace (after redaction, so no secret is split). */
export const TRACE_BODY_LIMIT = 2048

/**
 * A textual response body is read up to this much before the caller gets it,
 * to be redacted whole and shown; a longer one is not shown (a cut could split
 * a secret), and the caller still gets every byte, streamed.
 */
export const TRACE_CAPTURE_BYTES = 64 * 1024

/**
 * Wraps a client so that every exchange is written, redacted, line by line.
 * Each line also loses every known secret value (`known`, read at write time,
 * so a secret learnt from this very request counts), once: headers and
 * bodies before they are cut into lines and the rest as it is written. Control
 * characters are escaped: what a server sent cannot drive the terminal.
 */
export function withTrace(
  http: HttpClient,
  writeLine: (line: string) => void,
  known: () => readonly string[] = () => [],
): HttpClient {
  /** A line whose known secrets are already gone. */
  const emit = (line: string): void => writeLine(escapeControls(line))
  const write = (line: string): void => emit(redactKnown(line, known()))
  return async (url, init = {}) => {
    // One line per header line sent (a repeated -H is two), sorted by name.
    const requestHeaders = headerEntries(init.headers ?? {}).sort(([a], [b]) => byCodeUnits(a, b))
    write(`> ${(init.method ?? 'GET').toUpperCase()} ${redactUrl(url)}`)
    const redaction = { credentialHeaders: init.credentialHeaders, known: known() }
    for (const [name, value] of requestHeaders) emit(`> ${name}: ${redactRequestHeaders({ [name]: value }, redaction)[name]}`)
    const requestBody = describeRequestBody(init, requestHeaders.find(([name]) => name === 'content-type')?.[1])
    if (requestBody !== undefined) writeBody('>', redactKnown(requestBody, known()), emit)
    const started = performance.now()
    let res: HttpResponse
    try {
      res = await http(url, init)
    } catch (err) {
      write(`! ${redactText(err instanceof Error ? err.message : String(err))}`)
      throw err
    }
    const elapsed = Math.round(performance.now() - started)
    write(`< ${res.status}${res.statusText ? ` ${res.statusText}` : ''} (${elapsed} ms)`)
    for (const [name, value] of Object.entries(redactHeaders(res.headers, known()))) emit(`< ${name}: ${value}`)
    const { description, response } = await captureResponseBody(res)
    // Known secrets go before the cut, so that none is split by it.
    if (description !== undefined) writeBody('<', redactKnown(description, known()), emit)
    return response
  }
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

/**
 * Reads the start of a textual body (up to TRACE_CAPTURE_BYTES) to describe it,
 * and answers a response that replays those bytes before the rest, so the
 * caller reads the body as if the trace had not been there.
 */
async function captureResponseBody(res: HttpResponse): Promise<{ description: string | undefined; response: HttpResponse }> {
  if (!res.body) return { description: undefined, response: res }
  const contentType = res.headers.get('content-type') ?? undefined
  if (!isTextual(contentType)) {
    const length = res.headers.get('content-length')
    return { description: length ? `[${length} bytes]` : '[binary body]', response: res }
  }
  const iterator = bodyChunks(res)
  const head: Uint8Array[] = []
  let size = 0
  let ended = false
  while (size <= TRACE_CAPTURE_BYTES) {
    const next = await iterator.next()
    if (next.done) {
      ended = true
      break
    }
    head.push(next.value)
    size += next.value.byteLength
  }
  const response = replayed(res, head, ended ? undefined : iterator)
  if (!ended) return { description: `[more than ${TRACE_CAPTURE_BYTES} bytes: not shown]`, response }
  if (size === 0) return { description: undefined, response }
  return { description: redactBody(new TextDecoder().decode(concat(head, size)), contentType), response }
}

function replayed(res: HttpResponse, head: Uint8Array[], rest: AsyncGenerator<Uint8Array> | undefined): HttpResponse {
  async function* body(): AsyncGenerator<Uint8Array> {
    yield* head.splice(0)
    if (rest) yield* rest
  }
  const stream = body()
  const whole = (): Promise<Uint8Array> => readBytes(answer)
  const answer: HttpResponse = {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
    body: stream,
    arrayBuffer: async () => (await whole()).slice().buffer as ArrayBuffer,
    text: async () => new TextDecoder().decode(await whole()),
    json: async () => JSON.parse(new TextDecoder().decode(await whole())) as unknown,
  }
  return answer
}
