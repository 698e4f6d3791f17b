import { describe, expect, it } from 'vitest'
import { runRefresh } from '../../../src/cli/commands/refresh'
import { UsageError } from '../../../src/cli/errors'
import { makeTestDeps, MemoryStore } from '../../fakes'
import { FIXTURE_ACCESS_TOKEN, makeCredential } from '../../fakes/credential'

describe('refresh of a static credential (--with-token)', () => {
  it('is a usage error that says what to do instead, and changes nothing', async () => {
    const store = new MemoryStore()
    await store.set(makeCredential({ provider: 'livestorm', profile: 'work', kind: 'static', refresh_token: undefined, expires_at: undefined }))
    const opts = { provider: 'livestorm', profile: 'work', json: false, verbose: false, store: 'auto' as const }
    const error = await runRefresh(opts, makeTestDeps({ store })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toBe('livestorm (profile work) holds a static credential, which cannot be refreshed')
    expect((error as UsageError).hint).toBe(
      'it is sent as it is until revoked where it was made; to store another one instead:\nrun: oauth-cli login livestorm --profile work --with-token',
    )
    expect(`${(error as Error).message}${(error as UsageError).hint}`).not.toContain(FIXTURE_ACCESS_TOKEN)
    expect(store.writes).toBe(1)
  })
})
