import { describe, expect, it } from 'vitest'
import { isLoopbackHost, isSecureOrLoopbackUrl } from '../../../src/oauth/loopback-hosts'

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
