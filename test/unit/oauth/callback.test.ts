import { describe, expect, it } from 'vitest'
import { parsePastedCallback, pastedCallbackParams, validateCallback } from '../../../src/oauth/callback'
import { AuthorizationDeniedError, OAuthError, ProtocolError } from '../../../src/oauth/errors'
import type { ServerMetadata, State } from '../../../src/oauth/types'

const metadata: ServerMetadata = { issuer: 'https://accounts.livechat.com' }
const state = 'st-good' as State

function validate(query: string) {
  return validateCallback(new URLSearchParams(query), state, metadata, 'lc-client')
}

function caught(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

describe('validateCallback', () => {
  it('returns the code and parameters of a good callback', () => {
    const result = validate('code=abc&state=st-good')
    expect(result.code).toBe('abc')
    expect(result.params.get('state')).toBe('st-good')
  })

  it('decodes LiveChat’s dal%3Aabc code once, to dal:abc', () => {
    expect(validate('code=dal%3Aabc&state=st-good').code).toBe('dal:abc')
  })

  it('keeps an already-decoded percent sign in a code as it is', () => {
    expect(validate('code=a%2541&state=st-good').code).toBe('a%41')
  })

  it.each([
    ['wrong state', 'code=abc&state=st-evil'],
    ['missing state', 'code=abc'],
    ['wrong state on an error', 'error=access_denied&state=st-evil'],
    ['missing state on an error', 'error=server_error'],
  ])('refuses a callback with %s as state_mismatch', (_name, query) => {
    const err = caught(() => validate(query))
    expect(err).toBeInstanceOf(ProtocolError)
    expect((err as ProtocolError).code).toBe('state_mismatch')
    expect((err as Error).message).not.toContain('abc')
  })

  it('turns error=access_denied into AuthorizationDeniedError', () => {
    const err = caught(() => validate('error=access_denied&error_description=User+said+no&state=st-good'))
    expect(err).toBeInstanceOf(AuthorizationDeniedError)
    expect((err as AuthorizationDeniedError).error).toBe('access_denied')
    expect((err as AuthorizationDeniedError).error_description).toBe('User said no')
  })

  it('turns another error into OAuthError for the authorize step, with its description', () => {
    const err = caught(() => validate('error=invalid_scope&error_description=Unknown+scope+foo&state=st-good'))
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).not.toBeInstanceOf(AuthorizationDeniedError)
    expect(err).toMatchObject({ step: 'authorize', error: 'invalid_scope', error_description: 'Unknown scope foo' })
  })

  it('refuses a callback with the right state but no code as missing_code', () => {
    const err = caught(() => validate('state=st-good'))
    expect(err).toBeInstanceOf(ProtocolError)
    expect((err as ProtocolError).code).toBe('missing_code')
  })

  it('refuses a callback naming another issuer (RFC 9207)', () => {
    const err = caught(() => validate('code=abc&state=st-good&iss=https%3A%2F%2Fevil.example'))
    expect((err as ProtocolError).code).toBe('invalid_response')
  })

  it('refuses a callback with two codes', () => {
    const err = caught(() => validate('code=abc&code=def&state=st-good'))
    expect((err as ProtocolError).code).toBe('invalid_response')
  })
})

describe('parsePastedCallback', () => {
  it.each([
    ['a full redirected URL', 'https://app.example/cb?code=dal%3Aabc&state=st1', { code: 'dal:abc', state: 'st1' }],
    ['a loopback URL with a fragment', 'http://localhost:3000/callback?code=x1&state=s#_=_', { code: 'x1', state: 's' }],
    ['a URL without scheme', 'localhost:3000/callback?code=x1&state=s', { code: 'x1', state: 's' }],
    ['a query string with ?', '?code=x2&state=s2', { code: 'x2', state: 's2' }],
    ['a query string without ?', 'code=x3&state=s3', { code: 'x3', state: 's3' }],
    ['an error query', 'error=access_denied&state=s4', { error: 'access_denied', state: 's4' }],
    ['a bare code', 'dal:abc', { code: 'dal:abc' }],
    ['a bare percent-encoded code', 'dal%3Aabc', { code: 'dal:abc' }],
    ['a bare code ending in =', 'YWJj==', { code: 'YWJj==' }],
    ['surrounding whitespace and newlines', '  \n https://app.example/cb?code=x5&state=s5 \r\n', { code: 'x5', state: 's5' }],
    ['a response in the fragment', 'https://app.example/cb#code=x6&state=s6', { code: 'x6', state: 's6' }],
    ['empty input', '', {}],
    ['only whitespace', ' \n\t ', {}],
    ['a sentence', 'i do not know what to paste', {}],
    ['a URL without parameters', 'https://app.example/cb', {}],
  ])('reads %s', (_name, text, expected) => {
    expect(Object.fromEntries(parsePastedCallback(text))).toEqual(expected)
  })
})

describe('pastedCallbackParams', () => {
  it.each([
    ['a bare code', 'dal%3Aabc', { code: 'dal:abc', state: 'expected' }],
    ['a URL without state', 'https://app.example/cb?code=x1', { code: 'x1' }],
    ['a query without state', 'code=x1', { code: 'x1' }],
    ['a fragment without state', 'https://app.example/cb#code=x1', { code: 'x1' }],
    ['a URL with another state', 'https://app.example/cb?code=x1&state=other', { code: 'x1', state: 'other' }],
  ])('fills in the expected state for %s only when it is a bare code', (_name, text, expected) => {
    expect(Object.fromEntries(pastedCallbackParams(text, 'expected' as State))).toEqual(expected)
  })
})
