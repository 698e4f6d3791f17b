import { describe, expect, it } from 'vitest'
import { isLoopbackRedirectUri } from '../../../src/platform/loopback-redirect'

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
