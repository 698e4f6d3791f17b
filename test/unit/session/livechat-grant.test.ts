/**
 * LiveChat's dead refresh token is `unauthorized_client` ("refresh_token not found"),
 * declared in its catalog entry as `dead_grant_errors` (shared/providers.md,
 * "What the tool gets wrong today" 1; LC-OAUTH error list, LC-TROUBLE).
 */
import { describe, expect, it } from 'vitest'
import { toCliError } from '../../../src/cli/report'
import { RefreshRejectedError } from '../../../src/session/errors'
import { getFreshCredential } from '../../../src/session/fresh-token'
import { jsonResponse, makeTestDeps, MemoryStore, recordingHttp, rejectionOf } from '../../fakes'
import { provider, stored } from './helpers'

const key = { provider: 'livechat', profile: 'default' }
const livechat = provider('livechat', undefined, { LIVECHAT_CLIENT_ID: 'lc-client' })

function livechatCredential() {
  return stored({ provider: 'livechat', client_id: 'lc-client', access_token: 'dal:at-old-1111' })
}

async function refreshAnswered(body: Record<string, unknown>, status = 401) {
  const store = new MemoryStore()
  await store.set(livechatCredential())
  const http = recordingHttp(() => jsonResponse(status, body))
  const failure = await rejectionOf(getFreshCredential(livechat, key, store, makeTestDeps({ store, http })))
  return { failure, store, http }
}

describe('LiveChat refresh answered unauthorized_client', () => {
  it('"refresh_token not found" is a dead grant: exit 3 with the login command, credentials kept', async () => {
    const { failure, store, http } = await refreshAnswered({
      error: 'unauthorized_client',
      error_description: 'refresh_token not found',
    })
    expect(http.calls[0]!.url).toBe('https://accounts.livechat.com/v2/token')
    expect(failure).toBeInstanceOf(RefreshRejectedError)
    const cli = toCliError(failure)
    expect(cli.exitCode).toBe(3)
    expect(cli.hint).toBe('run: oauth-cli login livechat')
    const kept = await store.get(key)
    expect(kept.status === 'found' && kept.credential.refresh_token).toBe('rt-old-2222')
  })

  it('a description naming the refresh token wins over one naming the client', async () => {
    const { failure } = await refreshAnswered({ error: 'unauthorized_client', error_description: 'Refresh token not found for this client' })
    expect(toCliError(failure).exitCode).toBe(3)
  })

  it.each([['missing', {}], ['empty', { error_description: '' }]])(
    'with its description %s it is ambiguous (it also means a bad client secret): not a dead grant, nothing marked',
    async (_, description) => {
      const { failure, store } = await refreshAnswered({ error: 'unauthorized_client', ...description })
      expect(failure).not.toBeInstanceOf(RefreshRejectedError)
      const cli = toCliError(failure)
      expect(cli.exitCode).toBe(1)
      expect(cli.hint).toMatch(/check the client id and secret/)
      const kept = await store.get(key)
      expect(kept.status === 'found' && kept.credential.refresh_token).toBe('rt-old-2222')
      expect(kept.status === 'found' && kept.credential.refresh_rejected_at).toBeUndefined()
    },
  )

  it('about an invalid client_secret it stays a client problem (exit 1, check the client)', async () => {
    const { failure, store } = await refreshAnswered({ error: 'unauthorized_client', error_description: 'invalid client_secret' })
    expect(failure).not.toBeInstanceOf(RefreshRejectedError)
    const cli = toCliError(failure)
    expect(cli.exitCode).toBe(1)
    expect(cli.hint).toMatch(/check the client id and secret/)
    expect((await store.get(key)).status).toBe('found')
  })

  it('at a provider that does not declare it, unauthorized_client stays a client problem', async () => {
    const acme = provider('acme', { token_endpoint: 'https://id.acme.example/token', client_id: 'acme-client' })
    const store = new MemoryStore()
    await store.set(stored())
    const http = recordingHttp(() => jsonResponse(401, { error: 'unauthorized_client', error_description: 'refresh_token not found' }))
    const failure = await rejectionOf(getFreshCredential(acme, { provider: 'acme', profile: 'default' }, store, makeTestDeps({ store, http })))
    expect(toCliError(failure).exitCode).toBe(1)
  })
})
