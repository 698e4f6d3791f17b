/**
 * Property tests of the callback parser and validator: whatever arrives (a
 * pasted line, a forged redirect), they answer with parameters or one of the
 * documented errors, and a code survives the trip through a URL unchanged.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parsePastedCallback, validateCallback } from '../../../src/oauth/callback'
import { AuthorizationDeniedError, OAuthError, ProtocolError } from '../../../src/oauth/errors'
import type { ServerMetadata, State } from '../../../src/oauth/types'

const metadata: ServerMetadata = { issuer: 'https://accounts.example.com' }
const STATE = 'st-expected'

/** Pieces that steer generated text into every branch of the parser. */
const PIECES = [
  ...['?', '#', '&', '=', '%', '%3A', '%2', '%zz', '%25', '+', ':', '://', ' ', '\n', '\t', 'é', '😀', '\u0000'],
  ...['https://app.example/cb', 'http://127.0.0.1:8080/', 'code', 'state', 'error', 'iss', 'error_description'],
  ...['access_denied', STATE],
]
const urlish = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 6 })), { maxLength: 14 })
  .map((p) => p.join(''))
const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), urlish)

/** Codes and states as a provider might send them, with the characters that go wrong in URLs. */
const awkwardPiece = fc.constantFrom(':', '%', '+', '%3A', '&', '=', '#', '?', '/', ' ', 'é', '😀')
const awkward = fc
  .array(fc.oneof(awkwardPiece, fc.string({ unit: 'binary', maxLength: 5 })), { minLength: 1, maxLength: 10 })
  .map((p) => p.join(''))
  .filter((s) => s !== '')

const PARAM_NAMES = ['code', 'state', 'error', 'error_description', 'error_uri', 'iss', 'id_token', 'response', 'token']
const paramKey = fc.oneof(fc.constantFrom(...PARAM_NAMES), fc.string())
const paramValue = fc.oneof(
  fc.constant(STATE),
  fc.constantFrom('access_denied', 'invalid_scope', metadata.issuer),
  fc.string(),
)
const realisticPair = fc.constantFrom<[string, string]>(
  ['code', 'abc'],
  ['error', 'access_denied'],
  ['error', 'invalid_request'],
  ['iss', metadata.issuer],
  ['iss', 'https://evil.example'],
)
/** Most carry the expected state, so the checks after the state check are reached too. */
const anyParams = fc
  .tuple(fc.boolean(), fc.array(fc.oneof(realisticPair, fc.tuple(paramKey, paramValue)), { maxLength: 6 }))
  .map(([withState, entries]) => new URLSearchParams(withState ? [['state', STATE], ...entries] : entries))

function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
    return undefined
  } catch (err) {
    return err
  }
}

function isDocumentedError(err: unknown): boolean {
  return err instanceof ProtocolError || err instanceof OAuthError || err instanceof AuthorizationDeniedError
}

describe('parsePastedCallback on any input', () => {
  it('never throws and always answers with parameters', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(parsePastedCallback(text)).toBeInstanceOf(URLSearchParams)
      }),
      { numRuns: 500 },
    )
  })
})

describe('validateCallback on any parameters', () => {
  it('returns or throws only ProtocolError, OAuthError or AuthorizationDeniedError', () => {
    fc.assert(
      fc.property(anyParams, (params) => {
        const err = thrownBy(() => validateCallback(params, STATE as State, metadata, 'client-1'))
        if (err !== undefined) expect(isDocumentedError(err), String(err)).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('throws only documented errors on whatever the parser made of any pasted text', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const err = thrownBy(() => validateCallback(parsePastedCallback(text), STATE as State, metadata, 'client-1'))
        if (err !== undefined) expect(isDocumentedError(err), String(err)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('never accepts a callback whose state differs from the expected one', () => {
    fc.assert(
      fc.property(anyParams, awkward, (params, state) => {
        fc.pre(params.get('state') !== state)
        const err = thrownBy(() => validateCallback(params, state as State, metadata, 'client-1'))
        expect(err).toBeInstanceOf(ProtocolError)
        expect((err as ProtocolError).code).toBe('state_mismatch')
      }),
    )
  })
})

describe('a code in a redirected URL', () => {
  const forms: Array<[string, (query: string) => string]> = [
    ['a full URL', (q) => `https://app.example/cb?${q}`],
    ['a loopback URL with a fragment', (q) => `http://127.0.0.1:8765/callback?${q}#_=_`],
    ['a query with ?', (q) => `?${q}`],
    ['a bare query', (q) => q],
  ]

  it.each(forms)('comes back byte for byte from %s, through the parser and the validator', (_, build) => {
    fc.assert(
      fc.property(awkward, awkward, (code, state) => {
        const query = new URLSearchParams({ code, state }).toString()
        const params = parsePastedCallback(build(query))
        expect(params.get('code')).toBe(code)
        expect(params.get('state')).toBe(state)
        expect(validateCallback(params, state as State, metadata, 'client-1').code).toBe(code)
      }),
      { numRuns: 200 },
    )
  })
})
