import { describe, expect, it } from 'vitest'
import { bearerChallenge, insufficientScope } from '../../../src/http/www-authenticate'

const headers = (value: string | undefined) => ({ get: (name: string) => (name === 'www-authenticate' ? (value ?? null) : null) }) as never

describe('bearerChallenge (RFC 7235 §4.1, RFC 6750 §3)', () => {
  it.each([
    ['Bearer realm="example", error="insufficient_scope", scope="a b"', { realm: 'example', error: 'insufficient_scope', scope: 'a b' }],
    ['Basic realm="x", Bearer error=insufficient_scope', { error: 'insufficient_scope' }],
    ['bearer error="invalid_token", error_description="a \\"quoted\\" word, here"', { error: 'invalid_token', error_description: 'a "quoted" word, here' }],
    ['Bearer', {}],
  ])('reads %j', (header, params) => {
    expect(bearerChallenge(header)).toEqual(params)
  })

  it.each([[null], [''], ['Basic realm="x"'], ['Basic realm="Bearer error=insufficient_scope"']])('finds no Bearer challenge in %j', (header) => {
    expect(bearerChallenge(header)).toBeUndefined()
  })
})

describe('insufficientScope', () => {
  it('names the scope the server asks for, in scope-token characters only', () => {
    expect(insufficientScope(headers('Bearer error="insufficient_scope", scope="chats--all:ro agents--all:ro"'))).toEqual({ scope: 'chats--all:ro agents--all:ro' })
    expect(insufficientScope(headers('Bearer error="insufficient_scope", scope="ok \u001b[31mred"'))).toEqual({ scope: 'ok' })
    expect(insufficientScope(headers('Bearer error="insufficient_scope"'))).toEqual({})
  })

  it('is undefined for any other answer', () => {
    expect(insufficientScope(headers('Bearer error="invalid_token"'))).toBeUndefined()
    expect(insufficientScope(headers(undefined))).toBeUndefined()
  })
})
