import nock from 'nock'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFetchHttpClient } from '../../../src/http/fetch-client'
import { TransportError } from '../../../src/http/types'

const API = 'https://api.example.com'

beforeEach(() => {
  nock.disableNetConnect()
  nock.enableNetConnect('127.0.0.1')
})

afterEach(() => {
  nock.cleanAll()
  nock.enableNetConnect()
})

describe('createFetchHttpClient (seen by nock)', () => {
  it('returns a global Response with status, headers and body', async () => {
    const scope = nock(API)
      .post('/token', 'grant_type=client_credentials')
      .matchHeader('content-type', 'application/x-www-form-urlencoded;charset=UTF-8')
      .reply(200, { access_token: 'a' }, { 'x-request-id': 'r1' })
    const res = await createFetchHttpClient()(`${API}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    })
    expect(res).toBeInstanceOf(Response)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toBe('r1')
    expect(await res.json()).toEqual({ access_token: 'a' })
    scope.done()
  })

  it('does not follow redirects', async () => {
    const scope = nock(API).get('/start').reply(302, '', { location: `${API}/next` })
    const res = await createFetchHttpClient()(`${API}/start`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${API}/next`)
    scope.done()
  })

  it('gives 204 a null body', async () => {
    const scope = nock(API).delete('/v2/token').reply(204)
    const res = await createFetchHttpClient()(`${API}/v2/token`, { method: 'DELETE' })
    expect(res.body).toBeNull()
    scope.done()
  })

  it('maps a refused connection to kind "connect" without the query', async () => {
    const scope = nock(API).get('/x').query(true).replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
    const err = await createFetchHttpClient()(`${API}/x?code=s3cr3t`).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TransportError)
    expect((err as TransportError).kind).toBe('connect')
    expect((err as TransportError).url).toBe(`${API}/x`)
    scope.done()
  })

  it('maps its overall timeout to kind "timeout"', async () => {
    const scope = nock(API).get('/slow').delay(2_000).reply(200, 'late')
    const err = await createFetchHttpClient({ timeoutMs: 100 })(`${API}/slow`).catch((e: unknown) => e)
    expect((err as TransportError).kind).toBe('timeout')
    scope.done()
  })
})
