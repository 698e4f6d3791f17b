import { describe, expect, it } from 'vitest'
import { InputError } from '../../../src/session/errors'
import {
  envTokenInUse,
  envTokenRefusedHint,
  envTokenVariable,
  readEnvCredential,
} from '../../../src/session/env-credential'
import { credentialHeaders } from '../../../src/session/static-credential'
import { ACME, provider } from './helpers'

const NOW = Date.parse('2026-01-01T00:00:00Z')
const acme = provider('acme', ACME)
const livechat = provider('livechat')
const tidio = provider('tidio')
const myIdp = provider('my-idp.dev', ACME)

describe('envTokenVariable', () => {
  it('uses the provider env prefix, as <PROVIDER>_CLIENT_ID does', () => {
    expect(envTokenVariable(acme)).toBe('OAUTH_CLI_ACME_TOKEN')
    expect(envTokenVariable(myIdp)).toBe('OAUTH_CLI_MY_IDP_DEV_TOKEN')
  })
})

describe('readEnvCredential', () => {
  it('is undefined when the variable is unset or empty', () => {
    expect(readEnvCredential(acme, 'default', {}, NOW)).toBeUndefined()
    expect(readEnvCredential(acme, 'default', { OAUTH_CLI_ACME_TOKEN: '' }, NOW)).toBeUndefined()
  })

  it('sends a token for an OAuth provider as Bearer, with no refresh token and no expiry', () => {
    const read = readEnvCredential(acme, 'work', { OAUTH_CLI_ACME_TOKEN: 'env-at-1\n' }, NOW)
    expect(read?.variable).toBe('OAUTH_CLI_ACME_TOKEN')
    expect(read?.credential).toMatchObject({ provider: 'acme', profile: 'work', kind: 'oauth', access_token: 'env-at-1' })
    expect(read?.credential.refresh_token).toBeUndefined()
    expect(read?.credential.expires_at).toBeUndefined()
    expect(credentialHeaders(acme, read!.credential)).toEqual({ authorization: 'Bearer env-at-1' })
  })

  it('sends Tidio keys the static way by default: its default login is static', () => {
    const read = readEnvCredential(tidio, 'default', { OAUTH_CLI_TIDIO_TOKEN: 'ci_1:cs_2' }, NOW)
    expect(read?.credential.kind).toBe('static')
    expect(credentialHeaders(tidio, read!.credential)).toEqual({
      'x-tidio-openapi-client-id': 'ci_1',
      'x-tidio-openapi-client-secret': 'cs_2',
    })
  })

  it('sends a LiveChat ACCOUNT_ID:PAT as Basic with _TOKEN_KIND=static', () => {
    const env = { OAUTH_CLI_LIVECHAT_TOKEN: 'acct:pat', OAUTH_CLI_LIVECHAT_TOKEN_KIND: 'static' }
    const read = readEnvCredential(livechat, 'default', env, NOW)
    expect(credentialHeaders(livechat, read!.credential)).toEqual({
      authorization: `Basic ${Buffer.from('acct:pat').toString('base64')}`,
    })
  })

  it('sends a Tidio value as Bearer with _TOKEN_KIND=bearer', () => {
    const env = { OAUTH_CLI_TIDIO_TOKEN: 'at-x', OAUTH_CLI_TIDIO_TOKEN_KIND: 'BEARER' }
    expect(credentialHeaders(tidio, readEnvCredential(tidio, 'default', env, NOW)!.credential)).toEqual({
      authorization: 'Bearer at-x',
    })
  })

  it.each([
    ['an unknown _TOKEN_KIND', acme, { OAUTH_CLI_ACME_TOKEN: 'x', OAUTH_CLI_ACME_TOKEN_KIND: 'basic' }, /_KIND must be/],
    ['a bearer token with white space', acme, { OAUTH_CLI_ACME_TOKEN: 'two words' }, /OAUTH_CLI_ACME_TOKEN contains white space/],
    ['a Tidio value that is not a pair', tidio, { OAUTH_CLI_TIDIO_TOKEN: 'only-one-part' }, /OAUTH_CLI_TIDIO_TOKEN: tidio expects/],
  ])('refuses %s without echoing the value', (_name, p, env, message) => {
    let caught: unknown
    try {
      readEnvCredential(p, 'default', env, NOW)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(InputError)
    expect((caught as Error).message).toMatch(message)
    const value = Object.entries(env).find(([k]) => k.endsWith('_TOKEN'))![1]
    expect((caught as Error).message).not.toContain(value)
    expect((caught as InputError).hint).not.toContain(value)
  })
})

describe('envTokenInUse', () => {
  it('names the variable only when it is set and not empty', () => {
    expect(envTokenInUse('my-idp.dev', { OAUTH_CLI_MY_IDP_DEV_TOKEN: 'x' })).toBe('OAUTH_CLI_MY_IDP_DEV_TOKEN')
    expect(envTokenInUse('acme', { OAUTH_CLI_ACME_TOKEN: '' })).toBeUndefined()
    expect(envTokenInUse('acme', {})).toBeUndefined()
  })

  it('gives a hint naming the variable', () => {
    expect(envTokenRefusedHint('OAUTH_CLI_ACME_TOKEN')).toMatch(/OAUTH_CLI_ACME_TOKEN.*unset OAUTH_CLI_ACME_TOKEN/)
  })
})
