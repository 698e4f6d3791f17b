/** The one stored-credential factory of the tests: a full LiveChat-shaped credential, or any fields overridden. */
import type { StoredCredential } from '../../src/store/credential-store'

/** Fixture secrets: tests assert these never leak into messages. */
export const FIXTURE_ACCESS_TOKEN = 'at-fixture-9f8e7d6c5b4a'
export const FIXTURE_REFRESH_TOKEN = 'rt-fixture-1a2b3c4d5e6f'
export const FIXTURE_CLIENT_SECRET = 'cs-fixture-0c0ffee0'

export function makeCredential(overrides: Partial<StoredCredential> = {}): StoredCredential {
  return {
    version: 1,
    provider: 'livechat',
    profile: 'default',
    kind: 'oauth',
    access_token: FIXTURE_ACCESS_TOKEN,
    token_type: 'Bearer',
    refresh_token: FIXTURE_REFRESH_TOKEN,
    expires_at: '2030-01-01T00:00:00.000Z',
    scope: ['chats--all:ro', 'agents--all:rw'],
    client_id: 'client-abc',
    client_secret: FIXTURE_CLIENT_SECRET,
    token_endpoint: 'https://accounts.livechat.com/v2/token',
    extra: { organization_id: 'org-1' },
    updated_at: '2029-12-31T23:00:00.000Z',
    ...overrides,
  }
}
