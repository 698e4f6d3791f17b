/**
 * Small test doubles for the oauth core: an HttpClient that records what it was
 * asked and answers from a script, canned Responses, and a FakeClock.
 */
import type { HttpClient } from '../../../src/http/types'
import { recordingHttp } from '../../fakes'

export interface RecordedRequest {
  url: string
  method: string
  /** Lower-cased names. */
  headers: Record<string, string>
  body: string | undefined
}

/**
 * Answers each request with the next scripted Response (or throws the next
 * error); records through the one recordingHttp of test/fakes.
 */
export function scriptedHttp(...script: (Response | Error | (() => Response))[]): HttpClient & { requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = []
  const http = recordingHttp((url, call) => {
    const headers: Record<string, string> = {}
    call.headers.forEach((value, name) => (headers[name] = value))
    requests.push({ url, method: call.method, headers, body: call.body === '' ? undefined : call.body })
    const next = script.shift()
    if (next === undefined) throw new Error(`unexpected request ${requests.length} to ${url}`)
    if (next instanceof Error) throw next
    return typeof next === 'function' ? next() : next
  })
  return Object.assign(http, { requests })
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
