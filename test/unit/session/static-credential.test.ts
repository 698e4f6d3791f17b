import { describe, expect, it } from 'vitest'
import { InputError } from '../../../src/session/errors'
import { checkStaticCredential, credentialHeaders, readStaticCredential } from '../../../src/session/static-credential'
import { BufferIO, makeTestDeps } from '../../fakes'
import { ACME, provider, stored } from './helpers'

const staticCredential = (value: string, name: string) =>
  stored({ provider: name, kind: 'static', access_token: value, token_type: 'static', refresh_token: undefined })

describe('credentialHeaders (shared/SPEC.md static credential table)', () => {
  it.each([
    ['livechat', 'acct-1:pat-2', { authorization: `Basic ${Buffer.from('acct-1:pat-2').toString('base64')}` }],
    ['livestorm', 'ls-api-token', { authorization: 'ls-api-token' }],
    ['tidio', 'ci_abc:cs_def', { 'x-tidio-openapi-client-id': 'ci_abc', 'x-tidio-openapi-client-secret': 'cs_def' }],
  ])('sends a %s static credential the documented way', (name, value, expected) => {
    expect(credentialHeaders(provider(name), staticCredential(value, name))).toEqual(expected)
  })

  it('sends a static credential for any other provider as a bearer token', () => {
    expect(credentialHeaders(provider('acme', ACME), staticCredential('tok', 'acme'))).toEqual({
      authorization: 'Bearer tok',
    })
  })

  it.each([['Bearer'], ['bearer'], ['']])('sends OAuth tokens of type %j as Bearer', (tokenType) => {
    expect(credentialHeaders(provider('acme', ACME), stored({ token_type: tokenType }))).toEqual({
      authorization: 'Bearer at-old-1111',
    })
  })

  it('keeps a LiveChat region prefix in the token untouched', () => {
    expect(credentialHeaders(provider('livechat'), stored({ access_token: 'dal:abc-123' }))).toEqual({
      authorization: 'Bearer dal:abc-123',
    })
  })
})

describe('checkStaticCredential', () => {
  it.each([
    ['livechat', 'no-colon', /ACCOUNT_ID:PAT/],
    ['livechat', ':pat', /ACCOUNT_ID:PAT/],
    ['tidio', 'ci_only:', /CLIENT_ID:CLIENT_SECRET/],
    ['livestorm', '   ', /no API_TOKEN/],
    ['livestorm', 'two words', /white space/],
  ])('refuses %s input %j with a message naming the expected shape', (name, input, message) => {
    expect(() => checkStaticCredential(provider(name), input)).toThrow(InputError)
    expect(() => checkStaticCredential(provider(name), input)).toThrow(message)
  })

  it('trims the trailing newline a pipe leaves', () => {
    expect(checkStaticCredential(provider('livestorm'), 'tok-1\n')).toBe('tok-1')
  })
})

describe('readStaticCredential', () => {
  it('takes the Tidio key pair from TIDIO_CLIENT_ID and TIDIO_CLIENT_SECRET without reading stdin', async () => {
    const tidio = provider('tidio', undefined, { TIDIO_CLIENT_ID: 'ci_1', TIDIO_CLIENT_SECRET: 'cs_2' })
    const deps = makeTestDeps({ io: new BufferIO({ stdin: 'should-not-be-read' }) })
    expect(await readStaticCredential(tidio, deps, { fromClientPair: true })).toBe('ci_1:cs_2')
  })

  it('reads stdin when --with-token is given, even when the pair is in the environment', async () => {
    const tidio = provider('tidio', undefined, { TIDIO_CLIENT_ID: 'ci_1', TIDIO_CLIENT_SECRET: 'cs_2' })
    const deps = makeTestDeps({ io: new BufferIO({ stdin: 'ci_9:cs_9\n' }) })
    expect(await readStaticCredential(tidio, deps, { fromClientPair: false })).toBe('ci_9:cs_9')
  })
})
