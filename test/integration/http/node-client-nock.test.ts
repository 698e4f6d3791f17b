/** nock intercepts node:http, so tests that script a provider with nock see what the production client sends. */
import nock from 'nock'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpClient } from '../../../src/http/client'
import { TransportError, type HttpClient } from '../../../src/http/types'

function client(options: { timeoutMs?: number } = {}): Promise<HttpClient> {
  return createHttpClient({ userAgent: 'oauth-cli/test', ...options, env: {} })
}

async function expectTransportError(promise: Promise<unknown>): Promise<TransportError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(TransportError)
  return err as TransportError
}

describe('createHttpClient (node:http) is seen by nock', () => {
  const API = 'https://api.example.com'
  afterEach(() => {
    nock.cleanAll()
    nock.enableNetConnect()
  })

  it('sends through nock and reads its answer', async () => {
    nock.disableNetConnect()
    const scope = nock(API)
      .post('/token', 'grant_type=client_credentials')
      .matchHeader('content-type', 'application/x-www-form-urlencoded;charset=UTF-8')
      .reply(200, { access_token: 'a' }, { 'x-request-id': 'r1' })
    const res = await (await client())(`${API}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toBe('r1')
    expect(await res.json()).toEqual({ access_token: 'a' })
    scope.done()
  })

  it('maps a refused connection to kind "connect" without the query', async () => {
    nock.disableNetConnect()
    const scope = nock(API).get('/x').query(true).replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
    const err = await expectTransportError((await client())(`${API}/x?code=s3cr3t`))
    expect(err.kind).toBe('connect')
    expect(err.url).toBe(`${API}/x`)
    scope.done()
  })

  it('times out a delayed nock answer with kind "timeout"', async () => {
    nock.disableNetConnect()
    const scope = nock(API).get('/slow').delay(2_000).reply(200, 'late')
    const err = await expectTransportError((await client({ timeoutMs: 100 }))(`${API}/slow`))
    expect(err.kind).toBe('timeout')
    scope.done()
  })
})
