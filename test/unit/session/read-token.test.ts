import { describe, expect, it } from 'vitest'
import { readToken, type RefreshDue } from '../../../src/session/read-token'
import type { StoredCredential } from '../../../src/store/credential-store'
import { jsonResponse, makeTestDeps, MemoryStore, recordingHttp } from '../../fakes'
import { stored } from './helpers'

const CONFIG = '~/.config/oauth-cli/config.json'
const PROFILES = '~/.config/oauth-cli/profiles.json'
const files = {
  [CONFIG]: JSON.stringify({
    providers: { acme: { token_endpoint: 'https://id.acme.example/token', client_id: 'acme-client', token_endpoint_auth_method: 'client_secret_post' } },
  }),
}
const req = { provider: 'acme', store: 'auto' as const }

/** The answer as the test reads it: the token printed, 'refresh' (renew first), or undefined (the full CLI decides). */
const shown = (answer: StoredCredential | RefreshDue | undefined) => (answer === undefined ? undefined : 'refresh' in answer ? 'refresh' : answer.access_token)

async function world(lifeS: number | undefined, extra: { files?: Record<string, string>; env?: Record<string, string>; profile?: string } = {}) {
  const store = new MemoryStore()
  const http = recordingHttp(() => jsonResponse(200, { access_token: 'at-new', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-new' }))
  const deps = makeTestDeps({ store, http, files: { ...files, ...extra.files }, ...(extra.env ? { env: extra.env } : {}) })
  if (lifeS !== undefined) {
    await store.set(stored({ profile: extra.profile ?? 'default', expires_at: new Date(deps.clock.now() + lifeS * 1000).toISOString() }))
  }
  return { deps, http, store }
}

describe('readToken without refreshing (the start-up fast path)', () => {
  it.each([
    ['a fresh stored token', 3600, {}, 'at-old-1111'],
    ['nothing stored', undefined, {}, undefined],
    ['a token inside the refresh skew', 30, {}, 'refresh'],
    ['a token with less left than --min-ttl', 1200, { minTtlSeconds: 1800 }, 'refresh'],
    ['a token with more left than --min-ttl', 3600, { minTtlSeconds: 1800 }, 'at-old-1111'],
  ])('answers %s with %j, sending nothing', async (_case, lifeS, more, expected) => {
    const { deps, http } = await world(lifeS)
    expect(shown(await readToken({ ...req, ...more }, deps, { refresh: false }))).toBe(expected)
    expect(http.calls).toHaveLength(0)
  })

  it('resolves the profile itself: profiles.json names the default of the provider', async () => {
    const { deps } = await world(3600, { profile: 'work', files: { [PROFILES]: JSON.stringify({ default_profiles: { acme: 'work' } }) } })
    expect(shown(await readToken(req, deps, { refresh: false }))).toBe('at-old-1111')
    expect(shown(await readToken({ ...req, profile: 'default' }, deps, { refresh: false }))).toBeUndefined()
  })

  it('answers the environment token without opening the store', async () => {
    const { deps } = await world(undefined, { env: { OAUTH_CLI_ACME_TOKEN: 'env-at' } })
    expect(shown(await readToken(req, { ...deps, openStore: () => Promise.reject(new Error('opened')) }, { refresh: false }))).toBe('env-at')
  })

  it('leaves an expired token that cannot be renewed to the full command (its error), not to a refresh', async () => {
    const { deps, store } = await world(undefined)
    await store.set(stored({ refresh_token: undefined, expires_at: new Date(deps.clock.now() - 1000).toISOString() }))
    expect(await readToken(req, deps, { refresh: false })).toBeUndefined()
  })

  it('answers a renewal due with the profile and provider it resolved, for the refreshing read', async () => {
    const { deps } = await world(30, { profile: 'work', files: { [PROFILES]: JSON.stringify({ default_profiles: { acme: 'work' } }) } })
    const answer = await readToken(req, deps, { refresh: false })
    expect(answer).toMatchObject({ refresh: { profile: 'work', provider: { name: 'acme', client_id: 'acme-client' } } })
    // Plain data: it crosses from one fast-build file to the other as it is.
    expect(structuredClone(answer)).toEqual(answer)
  })
})

describe('readToken refreshing (the token command)', () => {
  it('refreshes a token inside the skew and stores the new one', async () => {
    const { deps, http, store } = await world(30)
    expect((await readToken(req, deps, { refresh: true })).access_token).toBe('at-new')
    expect(http.calls).toHaveLength(1)
    const lookup = await store.get({ provider: 'acme', profile: 'default' })
    expect(lookup.status === 'found' && lookup.credential.access_token).toBe('at-new')
  })

  it('refreshes with what a read without refreshing resolved, reading no config, profiles.json or .env again', async () => {
    const { deps, http } = await world(30, { profile: 'work', files: { [PROFILES]: JSON.stringify({ default_profiles: { acme: 'work' } }) } })
    const due = await readToken(req, deps, { refresh: false })
    if (due === undefined || !('refresh' in due)) throw new Error('expected a renewal due')
    const read: string[] = []
    const counted = {
      ...deps,
      readTextFile: async (path: string) => (read.push(path), deps.readTextFile(path)),
      readUnaskedFile: async (path: string) => (read.push(path), deps.readUnaskedFile(path)),
    }
    expect((await readToken({ ...req, resolved: due.refresh }, counted, { refresh: true })).access_token).toBe('at-new')
    expect(read).toEqual([])
    expect(http.calls).toHaveLength(1)
  })
})
