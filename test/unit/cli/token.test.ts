import { describe, expect, it } from 'vitest'
import { runToken } from '../../../src/cli/commands/token'
import { CliError } from '../../../src/cli/errors'
import { jsonResponse, makeTestDeps, MemoryStore, recordingHttp } from '../../fakes'
import { stored } from '../session/helpers'

const files = {
  '~/.config/oauth-cli/config.json': JSON.stringify({
    providers: {
      acme: {
        token_endpoint: 'https://id.acme.example/token',
        client_id: 'acme-client',
        token_endpoint_auth_method: 'client_secret_post',
      },
    },
  }),
}
const opts = { provider: 'acme', profile: 'default', json: false, verbose: false, store: 'auto' as const }

async function setup(expiresInS: number, refreshedTtlS: number) {
  const store = new MemoryStore()
  const http = recordingHttp(() =>
    jsonResponse(200, { access_token: 'at-new', token_type: 'Bearer', expires_in: refreshedTtlS, refresh_token: 'rt-new' }),
  )
  const deps = makeTestDeps({ store, http, files })
  await store.set(stored({ expires_at: new Date(deps.clock.now() + expiresInS * 1000).toISOString() }))
  return { deps, http, store }
}

describe('runToken --min-ttl', () => {
  it('prints the stored token without a request when it lives at least min-ttl', async () => {
    const { deps, http } = await setup(1200, 3600)
    expect(await runToken({ ...opts, minTtlSeconds: 900 }, deps)).toBe('at-old-1111')
    expect(http.calls).toHaveLength(0)
  })

  it('refreshes first when the stored token has less left than min-ttl', async () => {
    const { deps, http } = await setup(600, 3600)
    expect(await runToken({ ...opts, minTtlSeconds: 1800 }, deps)).toBe('at-new')
    expect(new URLSearchParams(http.calls[0]!.body).get('grant_type')).toBe('refresh_token')
  })

  it('fails with exit 1 naming the lifetime when even the fresh token lives less', async () => {
    const { deps } = await setup(600, 3600)
    const err = await runToken({ ...opts, minTtlSeconds: 7200 }, deps).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CliError)
    expect((err as CliError).exitCode).toBe(1)
    expect((err as CliError).message).toBe('acme issues access tokens that live 3600 s, less than the 7200 s asked with --min-ttl')
    expect((err as CliError).hint).toBe('use --min-ttl 3599 or less')
  })

  it('fails with exit 1 and a login hint when the token has less left and cannot be refreshed', async () => {
    const { deps, store, http } = await setup(0, 3600)
    await store.set(stored({ refresh_token: undefined, expires_at: new Date(deps.clock.now() + 1800_000).toISOString() }))
    const err = await runToken({ ...opts, minTtlSeconds: 3600 }, deps).catch((e: unknown) => e)
    expect((err as CliError).exitCode).toBe(1)
    expect((err as CliError).message).toMatch(/has 1800 s left, less than --min-ttl 3600, and cannot be refreshed/)
    expect((err as CliError).hint).toBe('run: oauth-cli login acme')
    expect(http.calls).toHaveLength(0)
  })

  it('prints an environment token as it is, without opening the store', async () => {
    let opened = 0
    const deps = makeTestDeps({
      files,
      env: { OAUTH_CLI_ACME_TOKEN: 'env-at' },
      openStore: async () => {
        opened += 1
        return new MemoryStore()
      },
    })
    expect(await runToken({ ...opts, minTtlSeconds: 7200 }, deps)).toBe('env-at')
    expect(opened).toBe(0)
  })
})
