import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BUILT_IN_PROVIDERS } from '../../../src/providers/catalog'
import { validateProviderConfig } from '../../../src/providers/schema'

describe('BUILT_IN_PROVIDERS', () => {
  it('holds livechat, livestorm and tidio, and the local sandbox', () => {
    expect(Object.keys(BUILT_IN_PROVIDERS).sort()).toEqual(['livechat', 'livestorm', 'sandbox', 'tidio'])
  })

  const THIRD_PARTY = Object.entries(BUILT_IN_PROVIDERS).filter(([name]) => name !== 'sandbox')

  it('gives the sandbox its public client and any free loopback port, no secret', () => {
    // No token_endpoint_auth_method: none without a secret, client_secret_basic with the confidential client's.
    expect(BUILT_IN_PROVIDERS.sandbox?.token_endpoint_auth_method).toBeUndefined()
    expect(BUILT_IN_PROVIDERS.sandbox).toMatchObject({
      client_id: 'oauth-cli-sandbox',
      redirect_uri: 'http://127.0.0.1:0/callback',
      api_base_url: 'http://127.0.0.1:8976/api',
    })
    expect(BUILT_IN_PROVIDERS.sandbox?.client_secret).toBeUndefined()
  })

  it.each(Object.entries(BUILT_IN_PROVIDERS))('%s passes the config-file schema unchanged', (name, config) => {
    expect(validateProviderConfig(name, config, 'built-in catalog')).toEqual(config)
  })

  it.each(THIRD_PARTY)('%s carries no client credentials', (_name, config) => {
    expect(config.client_id).toBeUndefined()
    expect(config.client_secret).toBeUndefined()
  })

  it.each(THIRD_PARTY.filter(([name]) => name !== 'livestorm'))('%s redirects to the registered-port loopback default', (_name, config) => {
    expect(config.redirect_uri).toBe('http://localhost:3000/callback')
  })

  it('gives Livestorm no redirect default: its partner apps register one HTTPS URL', () => {
    expect(BUILT_IN_PROVIDERS.livestorm?.redirect_uri).toBeUndefined()
    expect(BUILT_IN_PROVIDERS.livestorm?.redirect_uri_required).toMatch(/technology partners.*HTTPS/)
  })

  it('declares LiveChat quirks as data: comma scopes, unauthorized_client as a dead grant, revoke on replace', () => {
    expect(BUILT_IN_PROVIDERS.livechat).toMatchObject({
      scope_separator: ',',
      dead_grant_errors: [
        {
          error: 'unauthorized_client',
          description_contains: ['refresh_token', 'refresh token', 'code'],
        },
      ],
      revoke_replaced_on_login: true,
    })
  })

  it('speaks the Tidio guide\'s way with --oauth: JSON bodies, the secret in the body', () => {
    expect(BUILT_IN_PROVIDERS.tidio).toMatchObject({ token_request_encoding: 'json', token_endpoint_auth_method: 'client_secret_post' })
  })

  it('declares Livestorm\'s monthly quota header', () => {
    expect(BUILT_IN_PROVIDERS.livestorm?.rate_limit_quota).toEqual({
      remaining_header: 'RateLimit-Monthly-Remaining',
      reset_header: 'RateLimit-Reset',
      period: 'monthly',
    })
  })

  it('cites a shared/providers.md row in a comment above every field of the three vendors', () => {
    const source = readFileSync(new URL('../../../src/providers/catalog.ts', import.meta.url), 'utf8')
    for (const name of ['livechat', 'livestorm', 'tidio']) {
      const body = new RegExp(`const ${name} = \\(\\): ProviderConfig => \\(\\{([\\s\\S]*?)\\n\\}\\)`).exec(source)?.[1] ?? ''
      expect(body).not.toBe('')
      expect(body).toMatch(/§\d|What the tool gets wrong/)
    }
  })

  it('gives the same entry on every read (each is made once, on its first read)', () => {
    expect(BUILT_IN_PROVIDERS.livechat).toBe(BUILT_IN_PROVIDERS.livechat)
    expect(Object.values(BUILT_IN_PROVIDERS)).toEqual(Object.keys(BUILT_IN_PROVIDERS).map((name) => BUILT_IN_PROVIDERS[name]))
  })

  it('is frozen, nested objects included', () => {
    const tidio = BUILT_IN_PROVIDERS.tidio
    expect(Object.isFrozen(BUILT_IN_PROVIDERS)).toBe(true)
    expect(Object.isFrozen(tidio)).toBe(true)
    expect(Object.isFrozen(tidio?.api_headers)).toBe(true)
    expect(Object.isFrozen(tidio?.static_credential?.headers)).toBe(true)
  })

  it('describes LiveChat from its own documentation', () => {
    expect(BUILT_IN_PROVIDERS.livechat).toMatchObject({
      authorization_endpoint: 'https://accounts.livechat.com/',
      token_endpoint: 'https://accounts.livechat.com/v2/token',
      revocation_endpoint: 'https://accounts.livechat.com/v2/token',
      revocation_style: 'delete_bearer',
      token_endpoint_auth_method: 'client_secret_post',
      static_credential: { format: 'ACCOUNT_ID:PAT', scheme: 'basic' },
    })
    expect(BUILT_IN_PROVIDERS.livechat?.scope).toBeUndefined()
    expect(BUILT_IN_PROVIDERS.livechat?.unverified).toBeUndefined()
  })

  it('marks the endpoints no official source confirms as unverified', () => {
    expect(BUILT_IN_PROVIDERS.livestorm?.unverified).toMatch(/third-party/)
    expect(BUILT_IN_PROVIDERS.livestorm?.revocation_endpoint).toBeUndefined()
    expect(BUILT_IN_PROVIDERS.tidio?.unverified).toMatch(/third-party.*--oauth/)
  })

  it('sends Tidio keys as a header pair with the versioned Accept header, static login by default', () => {
    expect(BUILT_IN_PROVIDERS.tidio).toMatchObject({
      default_login: 'static',
      static_credential: {
        format: 'CLIENT_ID:CLIENT_SECRET',
        scheme: 'header_pair',
        headers: ['X-Tidio-Openapi-Client-Id', 'X-Tidio-Openapi-Client-Secret'],
      },
      api_headers: { Accept: 'application/json; version=1' },
      pagination: 'cursor',
    })
  })
})
