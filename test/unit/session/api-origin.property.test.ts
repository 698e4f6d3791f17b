/**
 * Issue 10 item 1, the mechanism: whatever string `call` is given as a path,
 * the request either stays on one of the provider's origins or is refused
 * (InputError, exit 2). Checked over arbitrary strings and over strings built
 * from the pieces URL tricks are made of, for an api_base_url with and without a path.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { providerOrigins, resolveApiUrl } from '../../../src/session/api-origin'
import { InputError } from '../../../src/session/errors'
import { ACME, provider } from './helpers'

const WITHOUT_PATH = provider('acme', { ...ACME, api_base_url: 'https://api.acme.example' })
const WITH_PATH = provider('acme', ACME)
const LIVECHAT = provider('livechat')

const PIECES = [
  '/', '//', '\\', '\\\\', '@', ':', '.', '..', '%2f', '%5c', '%2e', '\t', '\n', '\r', ' ', '\u0000', '\u00a0', '\u3000',
  'evil.example', '127.0.0.1:9999', 'api.acme.example', 'api.acme.example.evil.example', '?', '#', 'a', 'https:', 'http:',
  'HTTPS://', 'https://evil.example', '\uff0f', '\u2044', '%00', 'user:pw@', '[::1]',
]

const trickyPath = fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }).map((parts) => parts.join(''))
const anyPath = fc.oneof(trickyPath, fc.string({ unit: 'binary', maxLength: 40 }), fc.webPath(), fc.webUrl())

/** Stays on an allowed origin, or is refused as the user's error; nothing else. */
function expectStaysOrRefused(target: string, p: typeof WITH_PATH): void {
  let url: URL
  try {
    url = resolveApiUrl(target, p)
  } catch (err) {
    expect(err).toBeInstanceOf(InputError)
    return
  }
  expect(providerOrigins(p).has(url.origin), `${JSON.stringify(target)} → ${url.href}`).toBe(true)
}

describe('resolveApiUrl', () => {
  it.each([WITHOUT_PATH, WITH_PATH, LIVECHAT].map((p) => [p.config.api_base_url, p] as const))(
    'keeps every path on an allowed origin or refuses it (api_base_url %s)',
    (_base, p) => {
      fc.assert(fc.property(anyPath, (target) => expectStaysOrRefused(target, p)), { numRuns: 3000 })
    },
  )

  it.each([
    ['//127.0.0.1:9999/x'],
    ['///127.0.0.1:9999/x'],
    ['\\\\127.0.0.1:9999\\x'],
    ['/\\127.0.0.1:9999/x'],
    ['/\t/127.0.0.1:9999/x'],
    ['/\n/127.0.0.1:9999/x'],
    ['\t//127.0.0.1:9999/x'],
    ['https://127.0.0.1:9999/x'],
    ['http://api.acme.example/x'],
  ])('refuses %j with exit 2', (target) => {
    expect(() => resolveApiUrl(target, WITHOUT_PATH)).toThrow(InputError)
  })

  it.each([
    ['/things', 'https://api.acme.example/things'],
    ['things?a=1', 'https://api.acme.example/things?a=1'],
    ['/a//b', 'https://api.acme.example/a//b'],
    ['/%2F%2Fevil.example', 'https://api.acme.example/%2F%2Fevil.example'],
    ['https://id.acme.example/userinfo', 'https://id.acme.example/userinfo'],
  ])('keeps %j on the provider: %s', (target, expected) => {
    expect(resolveApiUrl(target, WITHOUT_PATH).href).toBe(expected)
  })
})
