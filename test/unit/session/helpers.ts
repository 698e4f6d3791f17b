import { resolveProvider } from '../../../src/providers/resolve'
import type { ProviderConfig, ResolvedProvider } from '../../../src/providers/types'
import type { StoredCredential } from '../../../src/store/credential-store'
import { makeCredential } from '../../fakes'

export const ACME: ProviderConfig = {
  authorization_endpoint: 'https://id.acme.example/authorize',
  token_endpoint: 'https://id.acme.example/token',
  revocation_endpoint: 'https://id.acme.example/revoke',
  api_base_url: 'https://api.acme.example/v1',
  client_id: 'acme-client',
  token_endpoint_auth_method: 'client_secret_post',
  redirect_uri: 'http://127.0.0.1:0/callback',
}

export function provider(
  name: string,
  entry?: ProviderConfig,
  env: Record<string, string> = {},
): ResolvedProvider {
  return resolveProvider(name, {
    config: { path: '/cfg/config.json', exists: entry !== undefined, providers: entry ? { [name]: entry } : {} },
    env,
    dotenv: {},
    flags: {},
  })
}

/** The session tests' `acme` credential (makeCredential with acme's fields). */
export function stored(overrides: Partial<StoredCredential> = {}): StoredCredential {
  return makeCredential({
    provider: 'acme',
    access_token: 'at-old-1111',
    refresh_token: 'rt-old-2222',
    expires_at: '2026-01-01T00:00:30Z',
    scope: ['read'],
    client_id: 'acme-client',
    client_secret: 'acme-secret-3333',
    token_endpoint: undefined,
    extra: undefined,
    updated_at: '2025-12-31T23:00:00Z',
    ...overrides,
  })
}
