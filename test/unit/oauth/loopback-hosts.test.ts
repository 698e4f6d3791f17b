import { describe, expect, it } from 'vitest'
import { isLoopbackHost, isLoopbackRedirectUri, isSecureOrLoopbackUrl } from '../../../src/oauth/loopback-hosts'

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['[::1]', true],
    ['localhost', true],
    ['LocalHost', true],
    ['128.0.0.1', false],
    ['127.0.0.1.nip.io', false],
    ['localhost.example', false],
    ['::1', false],
    ['0.0.0.0', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected)
  })
})

describe('isLoopbackRedirectUri: the redirect URIs the one-shot listener serves (SPEC, "Redirects")', () => {
  it.each([
    ['http://127.0.0.1:3000/callback', true],
    ['http://[::1]:3000/callback', true],
    ['http://localhost:3000/callback', true],
    ['http://LOCALHOST/callback', true],
    ['http://[0:0:0:0:0:0:0:1]/callback', true],
    // Loopback addresses, but not ones the listener binds: paste mode.
    ['http://127.0.0.2:3000/callback', false],
    ['https://127.0.0.1:3000/callback', false],
    ['https://example.com/callback', false],
    ['http://localhost.example/callback', false],
  ])('%s → %s', (uri, expected) => {
    expect(isLoopbackRedirectUri(new URL(uri))).toBe(expected)
  })
})

describe('isSecureOrLoopbackUrl: where a secret may travel', () => {
  it.each([
    ['https://id.example/token', true],
    ['http://127.1.2.3/token', true],
    ['http://[::1]:9000/token', true],
    ['http://localhost/token', true],
    ['http://id.example/token', false],
    ['http://127.0.0.1.nip.io/token', false],
    ['ftp://127.0.0.1/token', false],
  ])('%s → %s', (url, expected) => {
    expect(isSecureOrLoopbackUrl(new URL(url))).toBe(expected)
  })
})
