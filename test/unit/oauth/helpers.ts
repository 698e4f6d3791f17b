/**
 * Small test doubles for the oauth core: an HttpClient that records what it was
 * asked and answers from a script, canned Responses, and a FakeClock.
 */
import type { HttpClient, HttpRequestInit } from '../../../src/http/types'
import type { Clock } from '../../../src/platform/clock'

export interface RecordedRequest {
  url: string
  method: string
  /** Lower-cased names. */
  headers: Record<string, string>
  body: string | undefined
}

/** Answers each request with the next scripted Response (or throws the next error). */
export function recordingHttp(...script: (Response | Error | (() => Response))[]): HttpClient & { requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = []
  const http = async (url: string | URL, init?: HttpRequestInit): Promise<Response> => {
    requests.push({ url: String(url), method: init?.method ?? 'GET', headers: headersOf(init), body: bodyOf(init) })
    const next = script.shift()
    if (next === undefined) throw new Error(`unexpected request ${requests.length} to ${String(url)}`)
    if (next instanceof Error) throw next
    return typeof next === 'function' ? next() : next
  }
  return Object.assign(http, { requests })
}

function headersOf(init: HttpRequestInit | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  if (init?.headers instanceof Headers) init.headers.forEach((value, name) => (headers[name] = value))
  else for (const [name, value] of Object.entries(init?.headers ?? {})) headers[name.toLowerCase()] = value
  return headers
}

function bodyOf(init: HttpRequestInit | undefined): string | undefined {
  const body = init?.body
  if (body === undefined || body === null) return undefined
  if (body instanceof Uint8Array) return new TextDecoder().decode(body)
  return String(body)
}

export { jsonResponse } from '../../fakes'

export function textResponse(status: number, text: string, contentType = 'text/html'): Response {
  return new Response(status === 204 ? null : text, { status, headers: { 'content-type': contentType } })
}

/** Time that moves only when the code under test sleeps; every sleep is recorded. */
export { FakeClock } from '../../fakes'

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
}
