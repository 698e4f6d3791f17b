import { describe, expect, it } from 'vitest'
import { TransportError } from '../../../src/http/types'
import { discoverMetadata } from '../../../src/oauth/discovery'
import { ProtocolError } from '../../../src/oauth/errors'
import { rfc8414Metadata } from '../../fixtures/oauth/bodies'
import { jsonResponse, scriptedHttp, textResponse } from './helpers'
import { rejectionOf } from '../../fakes'

const ISSUER = 'https://id.acme.example'
const RFC8414_URL = 'https://id.acme.example/.well-known/oauth-authorization-server'
const OIDC_URL = 'https://id.acme.example/.well-known/openid-configuration'

const rejection = (promise: Promise<unknown>) => rejectionOf(promise)

describe('discoverMetadata', () => {
  it('reads RFC 8414 metadata first and keeps the fields this tool uses', async () => {
    const http = scriptedHttp(jsonResponse(200, rfc8414Metadata))
    const metadata = await discoverMetadata(ISSUER, http)
    expect(http.requests.map((r) => [r.method, r.url])).toEqual([['GET', RFC8414_URL]])
    expect(metadata).toEqual({
      issuer: ISSUER,
      authorization_endpoint: 'https://id.acme.example/authorize',
      token_endpoint: 'https://id.acme.example/token',
      revocation_endpoint: 'https://id.acme.example/revoke',
      device_authorization_endpoint: 'https://id.acme.example/device',
      code_challenge_methods_supported: ['S256'],
    })
  })

  it('falls back to OpenID discovery after a 404', async () => {
    const http = scriptedHttp(textResponse(404, 'not found'), jsonResponse(200, rfc8414Metadata))
    const metadata = await discoverMetadata(ISSUER, http)
    expect(http.requests.map((r) => r.url)).toEqual([RFC8414_URL, OIDC_URL])
    expect(metadata.token_endpoint).toBe('https://id.acme.example/token')
  })

  it('puts the well-known segment where each spec wants it for an issuer with a path', async () => {
    const issuer = 'https://id.acme.example/tenant'
    const http = scriptedHttp(textResponse(404, ''), jsonResponse(200, { ...rfc8414Metadata, issuer }))
    await discoverMetadata(issuer, http)
    expect(http.requests.map((r) => r.url)).toEqual([
      'https://id.acme.example/.well-known/oauth-authorization-server/tenant',
      'https://id.acme.example/tenant/.well-known/openid-configuration',
    ])
  })

  it('fails with discovery_failed naming the issuer, both URLs and why', async () => {
    const http = scriptedHttp(textResponse(404, ''), textResponse(200, '<html>', 'text/html'))
    const err = await rejection(discoverMetadata(ISSUER, http))
    expect(err).toBeInstanceOf(ProtocolError)
    expect((err as ProtocolError).code).toBe('discovery_failed')
    expect(err.message).toContain(ISSUER)
    expect(err.message).toContain(`${RFC8414_URL} (HTTP 404)`)
    expect(err.message).toContain(`${OIDC_URL} (not JSON)`)
  })

  it('does not accept a document for another issuer', async () => {
    const other = { ...rfc8414Metadata, issuer: 'https://evil.example' }
    const err = await rejection(discoverMetadata(ISSUER, scriptedHttp(jsonResponse(200, other), jsonResponse(200, other))))
    expect((err as ProtocolError).code).toBe('discovery_failed')
    expect(err.message).toContain('issuer does not match')
  })

  it('refuses a discovered endpoint on plain http', async () => {
    const http = scriptedHttp(jsonResponse(200, { ...rfc8414Metadata, token_endpoint: 'http://id.acme.example/token' }))
    const err = await rejection(discoverMetadata(ISSUER, http))
    expect((err as ProtocolError).code).toBe('insecure_endpoint')
  })

  it('accepts plain http on loopback', async () => {
    const issuer = 'http://127.0.0.1:8080'
    const doc = { issuer, token_endpoint: 'http://127.0.0.1:8080/token' }
    expect(await discoverMetadata(issuer, scriptedHttp(jsonResponse(200, doc)))).toEqual(doc)
  })

  it('lets a TransportError through without trying the second URL', async () => {
    const failure = new TransportError('dns', ISSUER, 'getaddrinfo ENOTFOUND')
    const http = scriptedHttp(failure)
    expect(await rejection(discoverMetadata(ISSUER, http))).toBe(failure)
    expect(http.requests).toHaveLength(1)
  })

  it('fails with discovery_failed for an issuer that is not a URL', async () => {
    const err = await rejection(discoverMetadata('acme', scriptedHttp()))
    expect((err as ProtocolError).code).toBe('discovery_failed')
  })
})
