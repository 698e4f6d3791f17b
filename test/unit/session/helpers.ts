import { resolveProvider } from '../../../src/providers/resolve'
import type { ProviderConfig, ResolvedProvider } from '../../../src/providers/types'
import { ABSENT, type CredentialKey, type CredentialMark, type Revision, type StoredCredential, type VersionedStore } from '../../../src/store/credential-store'
import { makeCredential, MemoryStore } from '../../fakes'

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

/** A MemoryStore with a shared store's versioned view: revisions count writes, marks are kept. */
export class SharedMemoryStore extends MemoryStore {
  revision = 1
  currentMark: CredentialMark | undefined
  readonly versioned: VersionedStore = {
    getVersioned: async (k: CredentialKey) => {
      const found = await this.get(k)
      return found.status === 'found'
        ? { status: 'found', credential: found.credential, revision: String(this.revision), ...(this.currentMark ? { mark: this.currentMark } : {}) }
        : found
    },
    compareAndSet: async (credential: StoredCredential, expected: Revision) => {
      const found = await this.get(credential)
      if ((found.status === 'found' ? String(this.revision) : ABSENT) !== expected) return undefined
      await this.set(credential)
      this.currentMark = undefined
      return String(++this.revision)
    },
    mark: async (_k: CredentialKey, expected: Revision, mark: CredentialMark | null) => {
      if (String(this.revision) !== expected) return undefined
      this.currentMark = mark ?? undefined
      return String(++this.revision)
    },
  }
}
