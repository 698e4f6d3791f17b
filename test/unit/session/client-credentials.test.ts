import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { decodeBundle } from '../../../src/session/bundle'
import { StoreError } from '../../../src/store/credential-store'
import { InputError, NotLoggedInError } from '../../../src/session/errors'
import { fetchClientCredentials } from '../../../src/session/client-credentials'
import { mergeRefreshed } from '../../../src/session/credentials'
import { getFreshCredential } from '../../../src/session/fresh-token'
import type { AccessToken, RefreshToken } from '../../../src/oauth/types'
import { jsonResponse, makeTestDeps, MemoryStore, recordingHttp } from '../../fakes'
import { ACME, provider, stored } from './helpers'

const key = { provider: 'acme', profile: 'ci' }
const acme = provider('acme', ACME, { ACME_CLIENT_SECRET: 'acme-secret-env' })

function tokenHttp(body: Record<string, unknown> = {}) {
  let n = 0
  return recordingHttp(() =>
    jsonResponse(200, { access_token: `cc-at-${++n}`, token_type: 'Bearer', expires_in: 3600, scope: 'jobs', ...body }),
  )
}

describe('fetchClientCredentials', () => {
  it('sends the client credentials grant with the client secret and stores no refresh token', async () => {
    const http = tokenHttp({ refresh_token: 'should-be-dropped' })
    const deps = makeTestDeps({ http })
    const credential = await fetchClientCredentials(acme, key, deps, { scope: 'jobs' })
    const body = new URLSearchParams(http.calls[0]!.body)
    expect(body.get('grant_type')).toBe('client_credentials')
    expect(body.get('scope')).toBe('jobs')
    expect(body.get('client_secret')).toBe('acme-secret-env')
    expect(credential).toMatchObject({
      provider: 'acme', profile: 'ci', kind: 'oauth', grant: 'client_credentials', access_token: 'cc-at-1',
      client_id: 'acme-client', client_secret: 'acme-secret-env', token_endpoint: 'https://id.acme.example/token',
      expires_at: new Date(deps.clock.now() + 3600_000).toISOString(),
    })
    expect(credential.refresh_token).toBeUndefined()
  })

  it.for([
    ['a space-separated provider', ' ', 'jobs:read jobs:write'],
    ['a comma-separated provider', ',', 'jobs:read,jobs:write'],
  ] as const)('stores the scope it asked for when the answer leaves scope out (RFC 6749 §5.1), at %s', async ([, separator, sent]) => {
    const http = tokenHttp({ scope: undefined })
    const spaced = provider('acme', { ...ACME, scope_separator: separator }, { ACME_CLIENT_SECRET: 'acme-secret-env' })
    const credential = await fetchClientCredentials(spaced, key, makeTestDeps({ http }), { scope: 'jobs:read jobs:write' })
    expect(new URLSearchParams(http.calls[0]!.body).get('scope')).toBe(sent)
    expect(credential.scope).toEqual(['jobs:read', 'jobs:write'])
    // Asked for nothing, told nothing: no scope is made up.
    const none = await fetchClientCredentials(acme, key, makeTestDeps({ http: tokenHttp({ scope: undefined }) }))
    expect(none.scope).toEqual([])
  })

  it('refuses a client without a secret before sending anything', async () => {
    const http = tokenHttp()
    const noSecret = provider('acme', { ...ACME, token_endpoint_auth_method: undefined })
    await expect(fetchClientCredentials(noSecret, key, makeTestDeps({ http }))).rejects.toThrow(InputError)
    expect(http.calls).toHaveLength(0)
  })
})

describe('getFreshCredential with client credentials', () => {
  const ccStored = stored({
    profile: 'ci', grant: 'client_credentials', refresh_token: undefined, access_token: 'cc-at-old', scope: ['jobs'],
  })

  it('fetches a new token with the grant when the stored one expires, and stores it', async () => {
    const store = new MemoryStore()
    await store.set(ccStored)
    const http = tokenHttp()
    const deps = makeTestDeps({ store, http })
    // A CI job that imported a bundle has no environment secret: the stored one is used.
    const credential = await getFreshCredential(provider('acme', ACME), key, store, deps)
    expect(credential.access_token).toBe('cc-at-1')
    const body = new URLSearchParams(http.calls[0]!.body)
    expect(body.get('grant_type')).toBe('client_credentials')
    expect(body.get('scope')).toBe('jobs')
    expect(body.get('client_secret')).toBe('acme-secret-3333')
    const saved = await store.get(key)
    expect(saved.status === 'found' && saved.credential).toMatchObject({ access_token: 'cc-at-1', grant: 'client_credentials' })
  })

  it('keeps a re-fetched token the store cannot take in an emergency file it names, as a refresh does', async () => {
    const dataHome = mkdtempSync(join(tmpdir(), 'oauth-cli-cc-rescue-'))
    onTestFinished(() => rmSync(dataHome, { recursive: true, force: true }))
    const store = new MemoryStore()
    await store.set(ccStored)
    let attempts = 0
    store.set = async () => {
      attempts += 1
      throw new StoreError('io', '/data', 'ENOSPC: no space left on device')
    }
    const http = tokenHttp()
    const deps = makeTestDeps({ store, http, env: { XDG_DATA_HOME: dataHome } })
    const error = await getFreshCredential(provider('acme', ACME), key, store, deps).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreError)
    const message = (error as Error).message
    expect(attempts).toBeGreaterThan(1)
    expect(message).toMatch(/issued new tokens for profile ci, but they could not be saved \(ENOSPC/)
    expect(message).not.toContain('cc-at-1')
    const named = /written to (\S+?) \(/.exec(message)?.[1]
    expect(named, message).toBeDefined()
    expect(readdirSync(join(dataHome, 'oauth-cli'))).toContain(named!.split('/').at(-1))
    const decoded = decodeBundle(readFileSync(named!, 'utf8'))
    expect(decoded.ok && decoded.credential).toMatchObject({ access_token: 'cc-at-1', grant: 'client_credentials' })
  })

  it('fetches again on force (oauth-cli refresh) even when the token is fresh', async () => {
    const store = new MemoryStore()
    await store.set({ ...ccStored, expires_at: '2026-01-01T05:00:00Z' })
    const http = tokenHttp()
    const credential = await getFreshCredential(acme, key, store, makeTestDeps({ store, http }), { force: true })
    expect(credential.access_token).toBe('cc-at-1')
  })

  it('returns an unrenewable token that is alive but shorter-lived than minTtlMs, for the caller to judge', async () => {
    const store = new MemoryStore()
    await store.set(stored({ profile: 'ci', refresh_token: undefined, expires_at: '2026-01-01T01:00:00Z' }))
    const deps = makeTestDeps({ store })
    const credential = await getFreshCredential(acme, key, store, deps, { minTtlMs: 7200_000 })
    expect(credential.expires_at).toBe('2026-01-01T01:00:00Z')
  })

  it('still reports an expiring unrenewable token as needing a login', async () => {
    const store = new MemoryStore()
    await store.set(stored({ profile: 'ci', refresh_token: undefined }))
    await expect(getFreshCredential(acme, key, store, makeTestDeps({ store }))).rejects.toThrow(NotLoggedInError)
  })
})

describe('mergeRefreshed rotation', () => {
  const tokens = (refresh?: string) => ({
    access_token: 'at-new' as AccessToken,
    token_type: 'Bearer',
    scope: [],
    extra: {},
    ...(refresh ? { refresh_token: refresh as RefreshToken } : {}),
  })

  it('marks rotation when a refresh returns another refresh token', () => {
    expect(mergeRefreshed(stored(), tokens('rt-new'), 0).rotation_seen).toBe(true)
  })

  it('does not mark it when the refresh token is kept or sent back unchanged', () => {
    expect(mergeRefreshed(stored(), tokens(), 0).rotation_seen).toBeUndefined()
    expect(mergeRefreshed(stored(), tokens('rt-old-2222'), 0).rotation_seen).toBeUndefined()
  })

  it('keeps a rotation seen earlier', () => {
    expect(mergeRefreshed(stored({ rotation_seen: true }), tokens(), 0).rotation_seen).toBe(true)
  })
})
