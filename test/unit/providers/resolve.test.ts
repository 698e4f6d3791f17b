import { describe, expect, it } from 'vitest'
import type { ConfigFile } from '../../../src/providers/config-file'
import { ConfigError } from '../../../src/providers/errors'
import {
  envPrefix,
  listProviders,
  mergeProviderConfig,
  requireClientId,
  resolveProvider,
  type ResolveInput,
} from '../../../src/providers/resolve'
import type { ProviderConfig } from '../../../src/providers/types'
import { thrownBy } from '../../fakes'

const CONFIG_PATH = '/home/dev/.config/oauth-cli/config.json'

function configFile(providers: Record<string, ProviderConfig> = {}): ConfigFile {
  return { path: CONFIG_PATH, providers, exists: Object.keys(providers).length > 0 }
}

function input(overrides: Partial<ResolveInput> = {}): ResolveInput {
  return { config: configFile(), env: {}, dotenv: {}, flags: {}, ...overrides }
}

const rejection = (run: () => unknown) => thrownBy(run, ConfigError)

describe('envPrefix', () => {
  it.each([
    ['livechat', 'LIVECHAT'],
    ['my-idp.dev', 'MY_IDP_DEV'],
    ['Acme_2', 'ACME_2'],
    // Every UTF-16 unit that is not A-Z or 0-9 after upper-casing is one "_" (ß upper-cases to SS).
    ['café', 'CAF_'],
    ['straße', 'STRASSE'],
    ['a\u{1F600}b', 'A__B'],
  ])('%s → %s', (name, prefix) => {
    expect(envPrefix(name)).toBe(prefix)
  })
})

describe('resolveProvider: client credentials', () => {
  const config = configFile({ acme: { token_endpoint: 'https://id.acme.example/token', client_id: 'cfg-id', client_secret: 'cfg-secret' } })
  const env = { ACME_CLIENT_ID: 'env-id', ACME_CLIENT_SECRET: 'env-secret' }
  const dotenv = { ACME_CLIENT_ID: 'dotenv-id', ACME_CLIENT_SECRET: 'dotenv-secret' }
  const flags = { client_id: 'flag-id', client_secret: 'flag-secret' }

  it.each([
    ['flag beats everything', { flags, env, dotenv }, 'flag'],
    ['env beats .env and config', { env, dotenv }, 'env'],
    ['.env beats config', { dotenv }, 'dotenv'],
    ['config when nothing else', {}, 'config'],
    ['an empty flag and env var count as unset', { flags: { client_id: '', client_secret: '' }, env: { ACME_CLIENT_ID: '', ACME_CLIENT_SECRET: '' }, dotenv }, 'dotenv'],
  ] as const)('%s', (_label, sources, expected) => {
    const resolved = resolveProvider('acme', input({ config, ...sources }))
    expect(resolved.client_id).toBe(`${expected === 'config' ? 'cfg' : expected}-id`)
    expect(resolved.client_secret).toBe(`${expected === 'config' ? 'cfg' : expected}-secret`)
    expect(resolved.client_id_source).toBe(expected)
    expect(resolved.client_secret_source).toBe(expected)
  })

  it('resolves id and secret independently', () => {
    const resolved = resolveProvider('acme', input({ config, flags: { client_id: 'flag-id' }, dotenv: { ACME_CLIENT_SECRET: 'dotenv-secret' } }))
    expect(resolved).toMatchObject({
      client_id: 'flag-id',
      client_id_source: 'flag',
      client_secret: 'dotenv-secret',
      client_secret_source: 'dotenv',
    })
  })

  it('records none when no source has a value', () => {
    const resolved = resolveProvider('livechat', input())
    expect(resolved).toMatchObject({ client_id: undefined, client_id_source: 'none', client_secret: undefined, client_secret_source: 'none' })
    expect(resolved.config.client_id).toBeUndefined()
  })

  it('uses the prefixed variable names', () => {
    const resolved = resolveProvider('my-idp.dev', input({
      config: configFile({ 'my-idp.dev': { token_endpoint: 'https://my-idp.dev/token' } }),
      env: { MY_IDP_DEV_CLIENT_ID: 'from-env' },
    }))
    expect(resolved).toMatchObject({ client_id: 'from-env', env_prefix: 'MY_IDP_DEV' })
  })

  it('keeps the client secret out of the resolved config', () => {
    const resolved = resolveProvider('acme', input({ config }))
    expect(resolved.config.client_secret).toBeUndefined()
    expect(resolved.config.client_id).toBe('cfg-id')
    expect(JSON.stringify(resolved.config)).not.toContain('cfg-secret')
  })
})

describe('resolveProvider: redirect_uri and scope', () => {
  it.each([
    ['the flag beats config', { livechat: { redirect_uri: 'http://localhost:4000/cb' } }, 'http://127.0.0.1:5000/cb', 'http://127.0.0.1:5000/cb'],
    ['config beats the built-in', { livechat: { redirect_uri: 'http://localhost:4000/cb' } }, undefined, 'http://localhost:4000/cb'],
    ['the built-in default otherwise', {}, undefined, 'http://localhost:3000/callback'],
  ])('redirect_uri: %s', (_label, providers, flag, expected) => {
    const resolved = resolveProvider('livechat', input({ config: configFile(providers), flags: { redirect_uri: flag } }))
    expect(resolved.config.redirect_uri).toBe(expected)
  })

  it.each([
    ['the flag beats config', 'read write', 'read write'],
    ['an empty flag clears the scope', '', ''],
    ['config otherwise', undefined, 'openid'],
  ])('scope: %s', (_label, flag, expected) => {
    const config = configFile({ acme: { token_endpoint: 'https://x.example/t', scope: 'openid' } })
    expect(resolveProvider('acme', input({ config, flags: { scope: flag } })).config.scope).toBe(expected)
  })

  it('rejects an insecure --redirect-uri, naming the flag', () => {
    const err = rejection(() => resolveProvider('livechat', input({ flags: { redirect_uri: 'http://example.com/cb' } })))
    expect(err.code).toBe('insecure_endpoint')
    expect(err.message).toMatch(/^--redirect-uri: must be an https URL/)
  })
})

describe('resolveProvider: merging config over a built-in', () => {
  const override = configFile({
    livechat: {
      api_base_url: 'https://api.eu.example',
      authorization_params: { prompt: 'consent' },
    },
  })

  it('marks the source built-in+config and overrides field by field', () => {
    const resolved = resolveProvider('livechat', input({ config: override }))
    expect(resolved.source).toBe('built-in+config')
    expect(resolved.config).toMatchObject({
      api_base_url: 'https://api.eu.example',
      token_endpoint: 'https://accounts.livechat.com/v2/token',
      revocation_style: 'delete_bearer',
      authorization_params: { prompt: 'consent' },
    })
  })

  it.each([
    ['built-in', 'livechat', configFile()],
    ['config', 'acme', configFile({ acme: { token_endpoint: 'https://x.example/t' } })],
    ['built-in+config', 'tidio', configFile({ tidio: { display_name: 'Tidio EU' } })],
  ])('records the source %s', (source, name, config) => {
    expect(resolveProvider(name, input({ config })).source).toBe(source)
  })

  it('merges authorization_params key by key', () => {
    expect(
      mergeProviderConfig({ authorization_params: { prompt: 'login', audience: 'api' } }, { authorization_params: { prompt: 'consent' } }),
    ).toEqual({ authorization_params: { prompt: 'consent', audience: 'api' } })
  })

  it('merges api_headers with case-insensitive names, the config winning', () => {
    const resolved = resolveProvider('tidio', input({ config: configFile({ tidio: { api_headers: { accept: 'application/json; version=2', 'X-Debug': '1' } } }) }))
    expect(resolved.config.api_headers).toEqual({ accept: 'application/json; version=2', 'X-Debug': '1' })
  })

  it('leaves the catalog untouched', () => {
    resolveProvider('livechat', input({ config: override, flags: { redirect_uri: 'http://127.0.0.1:1/x', client_id: 'id' } }))
    const fresh = resolveProvider('livechat', input())
    expect(fresh.config.redirect_uri).toBe('http://localhost:3000/callback')
    expect(fresh.config.authorization_params).toBeUndefined()
    expect(fresh.config.client_id).toBeUndefined()
  })
})

describe('resolveProvider: unknown provider', () => {
  it('lists built-in and configured names', () => {
    const err = rejection(() => resolveProvider('livehcat', input({ config: configFile({ zeta: {}, acme: {} }) })))
    expect(err.code).toBe('unknown_provider')
    expect(err.known).toEqual(['livechat', 'livestorm', 'sandbox', 'tidio', 'acme', 'zeta'])
    expect(err.message).toBe('unknown provider "livehcat"; known providers: livechat, livestorm, sandbox, tidio, acme, zeta')
    expect(err.hint).toContain('oauth-cli providers')
  })

  it.each(['constructor', 'toString', '__proto__'])('does not find %s on Object.prototype', (name) => {
    expect(rejection(() => resolveProvider(name, input())).code).toBe('unknown_provider')
  })
})

describe('requireClientId', () => {
  it('returns the resolved client id', () => {
    expect(requireClientId(resolveProvider('livechat', input({ env: { LIVECHAT_CLIENT_ID: 'abc' } })))).toBe('abc')
  })

  it('names the env var, the flag and the config key when there is none', () => {
    const err = rejection(() => requireClientId(resolveProvider('livechat', input())))
    expect(err.code).toBe('missing_client_id')
    expect(err.message).toBe(
      `no client id for livechat: set LIVECHAT_CLIENT_ID, pass --client-id, or add client_id to providers.livechat in ${CONFIG_PATH}`,
    )
  })

  it('uses an explicit config path when given', () => {
    const resolved = resolveProvider('my-idp.dev', input({ config: configFile({ 'my-idp.dev': {} }) }))
    const err = rejection(() => requireClientId({ ...resolved }, './oauth.json'))
    expect(err.message).toBe(
      'no client id for my-idp.dev: set MY_IDP_DEV_CLIENT_ID, pass --client-id, or add client_id to providers.my-idp.dev in ./oauth.json',
    )
  })
})

describe('listProviders', () => {
  it('lists built-ins first, then configured ones, each sorted', () => {
    const config = configFile({
      zeta: { token_endpoint: 'https://z.example/t' },
      livechat: { display_name: 'LC' },
      acme: { token_endpoint: 'https://a.example/t', client_secret: 'cfg-secret' },
    })
    const listing = listProviders(config)
    expect(listing.map((p) => [p.name, p.source])).toEqual([
      ['livechat', 'built-in+config'],
      ['livestorm', 'built-in'],
      ['sandbox', 'built-in'],
      ['tidio', 'built-in'],
      ['acme', 'config'],
      ['zeta', 'config'],
    ])
    expect(listing[0]?.config.display_name).toBe('LC')
    expect(listing[0]?.config.token_endpoint).toBe('https://accounts.livechat.com/v2/token')
    expect(JSON.stringify(listing)).not.toContain('cfg-secret')
  })
})
