/**
 * plainHttpUrl answers for config endpoints without `new URL`: whatever it
 * accepts must be exactly what the WHATWG parser makes of the same string
 * (scheme, host, no credentials), and whatever might be rewritten or refused
 * is left to the parser.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { plainHttpUrl } from '../../../src/providers/plain-url'

/** What `new URL` says of `s`, in plainHttpUrl's terms; undefined where it refuses it or finds credentials. */
function whatwg(s: string): { protocol: string; hostname: string } | undefined {
  if (!URL.canParse(s)) return undefined
  const url = new URL(s)
  if (url.username !== '' || url.password !== '') return undefined
  return { protocol: url.protocol, hostname: url.hostname }
}

describe('plainHttpUrl', () => {
  it.each([
    ['https://accounts.livechat.com/v2/token', 'https:', 'accounts.livechat.com'],
    ['http://127.0.0.1:9/token', 'http:', '127.0.0.1'],
    ['http://127.0.0.1:0/callback', 'http:', '127.0.0.1'],
    ['http://localhost:3000/callback', 'http:', 'localhost'],
    ['http://[::1]:8080/cb', 'http:', '[::1]'],
    ['https://api.example.com', 'https:', 'api.example.com'],
    ['https://id.acme.example/authorize?tenant=x&scope=a+b', 'https:', 'id.acme.example'],
    ['https://my-host.example:65535/', 'https:', 'my-host.example'],
  ])('reads %s as new URL does', (s, protocol, hostname) => {
    expect(plainHttpUrl(s)).toEqual({ protocol, hostname })
    expect(whatwg(s)).toEqual({ protocol, hostname })
  })

  it.each([
    // Rewritten by new URL: case, IPv4 in other spellings, punycode, a trailing dot, default-less leading zeros.
    'HTTPS://example.com/',
    'https://Example.com/',
    'http://127.1/',
    'http://0x7f.0.0.1/',
    'http://2130706433/',
    'http://127.000.0.1/',
    'http://example.123/',
    'https://xn--nxasmq6b.example/',
    'https://example.com./',
    'https://example.com:0443/',
    // Refused by new URL, or not plain: a port too big, credentials, a fragment, spaces, backslashes, other schemes.
    'https://example.com:65536/',
    'https://user:pw@example.com/',
    'https://example.com/#frag',
    'https://example.com/a b',
    'https://example.com\\token',
    'ftp://example.com/',
    'https:example.com',
    'https:///example.com',
    ' https://example.com/',
    'https://exa_mple.com/',
    'https://-example.com/',
  ])('leaves %s to new URL', (s) => {
    expect(plainHttpUrl(s)).toBeUndefined()
  })

  it('agrees with new URL on every string it accepts', () => {
    const label = fc.stringMatching(/^[a-z0-9-]{1,8}$/)
    const host = fc.oneof(
      fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.')),
      fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((parts) => parts.join('.')),
      fc.constantFrom('[::1]', 'localhost', '127.1', 'xn--abc.example', 'a..b', 'a.b.', '0x7f.1', '1e1'),
    )
    const port = fc.option(fc.oneof(fc.nat(70000).map(String), fc.stringMatching(/^0\d{1,4}$/)), { nil: undefined })
    const odd = fc.string({ unit: fc.constantFrom(...'/?abcAZ09-._~!$&\'()*+,;=:@%#\\ "<>`{}|^'.split('')), maxLength: 12 })
    const path = fc.array(fc.stringMatching(/^[A-Za-z0-9._~%-]{0,6}$/), { maxLength: 3 }).map((segments) => segments.map((x) => `/${x}`).join(''))
    const rest = fc.oneof(fc.constant(''), path, path.map((p) => `${p}?a=b&c=%20`), odd)
    const scheme = fc.constantFrom('http', 'https', 'http', 'https', 'http', 'https', 'HTTP', 'Https', 'ftp')
    const url = fc.tuple(scheme, host, port, rest).map(([s, h, p, r]) => `${s}://${h}${p === undefined ? '' : `:${p}`}${r}`)
    let accepted = 0
    fc.assert(
      fc.property(url, (s) => {
        const plain = plainHttpUrl(s)
        if (plain === undefined) return
        accepted++
        expect(whatwg(s), s).toEqual(plain)
      }),
      { numRuns: 20000 },
    )
    // The property must have been tried on many accepted strings, not vacuously.
    expect(accepted).toBeGreaterThan(1000)
  })
})
