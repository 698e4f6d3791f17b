import { describe, expect, it } from 'vitest'
import { redactRequestHeaders } from '../../../src/http/redact'
import { createKnownSecrets, credentialSecrets } from '../../../src/http/known-secrets'
import { learnFromRequest } from '../../../src/http/secrets'
import { childEnv, secretEnvValues } from '../../../src/platform/secret-env'

describe('known secrets', () => {
  it('learns what a request carries: auth schemes, Basic halves, credential headers, secret fields', () => {
    const known = createKnownSecrets()
    learnFromRequest(known, 'https://api.example/x?access_token=query-token-1&page=2', {
      headers: {
        authorization: `Basic ${btoa('client-1:client%2Bsecret')}`,
        'x-pair': 'pair-value-1',
        'x-auth-key': 'user-key-1',
        accept: 'application/json',
      },
      credentialHeaders: ['X-Pair'],
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'refresh-1', code_verifier: 'verifier-1' }),
    })
    learnFromRequest(known, 'https://api.example/y', { headers: { authorization: 'Bearer dal:token-2' }, body: '{"client_secret":"json-secret-1"}' })
    expect(known.values()).toEqual(
      expect.arrayContaining(['query-token-1', 'client+secret', 'pair-value-1', 'user-key-1', 'refresh-1', 'verifier-1', 'dal:token-2', 'json-secret-1']),
    )
    expect(known.values()).not.toContain('application/json')
    expect(known.values()).not.toContain('refresh_token')
  })

  it('takes both halves of a static ID:SECRET pair, and ignores values too short to be secrets', () => {
    expect(credentialSecrets({ kind: 'static', access_token: 'account-1:pat-value-1' })).toEqual(
      expect.arrayContaining(['account-1:pat-value-1', 'account-1', 'pat-value-1']),
    )
    const known = createKnownSecrets(['abc', 'long-enough'])
    expect(known.values()).toEqual(['long-enough'])
  })

  it('finds the initial secrets given as a function only when they are first asked for, and then has them', () => {
    let found = 0
    const known = createKnownSecrets(() => (found++, ['env-secret-1']))
    known.add('stored-token-1')
    expect(found).toBe(0)
    expect(known.values()).toEqual(['stored-token-1', 'env-secret-1'])
    known.add('another-token-22')
    expect(known.values()).toEqual(['another-token-22', 'stored-token-1', 'env-secret-1'])
    expect(found).toBe(1)
  })

  it('lists the longest first, so a token is replaced before a secret inside it', () => {
    expect(createKnownSecrets(['secret-1', 'prefix:secret-1']).values()).toEqual(['prefix:secret-1', 'secret-1'])
  })
})

describe('request headers in the trace', () => {
  it('redacts credential-filled and unknown headers whole, keeps the scheme of Authorization and harmless headers', () => {
    const shown = redactRequestHeaders(
      { authorization: 'Bearer dal:abc', 'x-account': 'acct-1', 'x-whatever': 'v1', authentication: 'v2', accept: 'application/json', 'user-agent': 'oauth-cli/1' },
      { credentialHeaders: ['X-Account'] },
    )
    expect(shown).toEqual({
      authorization: 'Bearer [redacted]',
      'x-account': '[redacted]',
      'x-whatever': '[redacted]',
      authentication: '[redacted]',
      accept: 'application/json',
      'user-agent': 'oauth-cli/1',
    })
  })
})

describe('secret environment variables', () => {
  const env = {
    PATH: '/usr/bin',
    DISPLAY: ':0',
    OAUTH_CLI_PASSPHRASE: 'passphrase-1',
    ACME_CLIENT_SECRET: 'client-secret-1',
    ACME_CLIENT_ID: 'client-id-1',
    OAUTH_CLI_ACME_TOKEN: 'env-token-1',
    PGPASSWORD: 'pg-password-1',
    GITHUB_TOKEN: 'gh-token-1',
    OAUTH_CLI_STORE: 'postgres://ci:url-password-1@db.internal/oauth',
    HTTPS_PROXY: 'http://user:proxy-pass@proxy:3128',
    XDG_SESSION_TYPE: 'wayland',
  }

  it('are left out of a child process environment, and the rest stays', () => {
    expect(childEnv(env)).toEqual({
      PATH: '/usr/bin',
      DISPLAY: ':0',
      ACME_CLIENT_ID: 'client-id-1',
      HTTPS_PROXY: 'http://user:proxy-pass@proxy:3128',
      XDG_SESSION_TYPE: 'wayland',
    })
  })

  it('are known secrets, a password inside a connection URL included', () => {
    expect(secretEnvValues(env)).toEqual(
      expect.arrayContaining(['passphrase-1', 'client-secret-1', 'env-token-1', 'pg-password-1', 'gh-token-1', 'url-password-1']),
    )
  })
})
