import { describe, expect, it } from 'vitest'
import { StoreError, type CredentialStore } from '../../../src/store/credential-store'
import {
  createKeychainStore,
  probeKeychain,
  type KeytarLike,
} from '../../../src/store/keychain-store'
import {
  FIXTURE_ACCESS_TOKEN,
  FIXTURE_CLIENT_SECRET,
  FIXTURE_REFRESH_TOKEN,
  makeCredential,
} from './credential-fixture'

/** An in-memory keychain with the keytar shape, keyed service → account → password. */
function createMemoryKeytar(): KeytarLike & { items: Map<string, Map<string, string>> } {
  const items = new Map<string, Map<string, string>>()
  const service = (name: string): Map<string, string> => {
    let accounts = items.get(name)
    if (!accounts) items.set(name, (accounts = new Map()))
    return accounts
  }
  return {
    items,
    getPassword: async (s, a) => service(s).get(a) ?? null,
    setPassword: async (s, a, p) => void service(s).set(a, p),
    deletePassword: async (s, a) => service(s).delete(a),
    findCredentials: async (s) => [...service(s)].map(([account, password]) => ({ account, password })),
  }
}

function failingKeytar(error: Error): KeytarLike {
  const fail = async (): Promise<never> => {
    throw error
  }
  return { getPassword: fail, setPassword: fail, deletePassword: fail, findCredentials: fail }
}

function hangingKeytar(): KeytarLike {
  const hang = (): Promise<never> => new Promise(() => undefined)
  return { getPassword: hang, setPassword: hang, deletePassword: hang, findCredentials: hang }
}

async function rejection(promise: Promise<unknown>): Promise<StoreError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(StoreError)
  return err as StoreError
}

const key = { provider: 'livechat', profile: 'default' }

describe('keychain store', () => {
  it('stores a credential as JSON under service oauth-cli and account provider:profile', async () => {
    const backend = createMemoryKeytar()
    const store = createKeychainStore({ backend })
    await store.set(makeCredential())
    const raw = backend.items.get('oauth-cli')?.get('livechat:default')
    expect(JSON.parse(raw ?? 'null')).toEqual(makeCredential())
    expect(store.kind).toBe('keychain')
    expect(store.location).toBe('OS keychain (service oauth-cli)')
  })

  it('reads back what it stored, and reports missing for an unknown key', async () => {
    const store = createKeychainStore({ backend: createMemoryKeytar() })
    await store.set(makeCredential({ profile: 'work' }))
    expect(await store.get({ provider: 'livechat', profile: 'work' })).toEqual({
      status: 'found',
      credential: makeCredential({ profile: 'work' }),
    })
    expect(await store.get(key)).toEqual({ status: 'missing' })
  })

  it('lists every credential of its service sorted by provider and profile', async () => {
    const backend = createMemoryKeytar()
    const store = createKeychainStore({ backend, service: 'svc' })
    await store.set(makeCredential({ provider: 'tidio', kind: 'static' }))
    await store.set(makeCredential({ profile: 'work' }))
    await store.set(makeCredential())
    await createKeychainStore({ backend, service: 'other' }).set(makeCredential({ provider: 'elsewhere' }))
    const listed = await store.list()
    expect(listed.map((c) => `${c.provider}:${c.profile}`)).toEqual([
      'livechat:default',
      'livechat:work',
      'tidio:default',
    ])
  })

  it('deletes a credential and says whether there was one', async () => {
    const store = createKeychainStore({ backend: createMemoryKeytar() })
    await store.set(makeCredential())
    expect(await store.delete(key)).toBe(true)
    expect(await store.get(key)).toEqual({ status: 'missing' })
    expect(await store.delete(key)).toBe(false)
  })

  it.each([
    ['not JSON', 'this is not json'],
    ['JSON of the wrong shape', JSON.stringify({ version: 1, provider: 'livechat' })],
    ['a credential of another profile', JSON.stringify(makeCredential({ profile: 'other' }))],
  ])('reports an item holding %s as corrupt, naming provider and profile', async (_, text) => {
    const backend = createMemoryKeytar()
    await backend.setPassword('oauth-cli', 'livechat:default', text)
    const store = createKeychainStore({ backend })
    for (const attempt of [store.get(key), store.list()]) {
      const err = await rejection(attempt)
      expect(err.kind).toBe('corrupt')
      expect(err.location).toBe('OS keychain')
      expect(err.message).toContain('livechat (profile default)')
    }
    expect(backend.items.get('oauth-cli')?.get('livechat:default')).toBe(text)
  })

  it('gives up on a keychain that never answers with a timeout error within the bound', async () => {
    const store = createKeychainStore({ backend: hangingKeytar(), timeoutMs: 50 })
    const started = performance.now()
    const errors = await Promise.all([
      rejection(store.get(key)),
      rejection(store.set(makeCredential())),
      rejection(store.delete(key)),
      rejection(store.list()),
    ])
    expect(errors.map((e) => e.kind)).toEqual(['timeout', 'timeout', 'timeout', 'timeout'])
    expect(errors[0]?.location).toBe('OS keychain')
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('turns a backend failure into unavailable, keeping its reason', async () => {
    const store = createKeychainStore({
      backend: failingKeytar(new Error('zbus error: Failed to connect to address')),
    })
    const err = await rejection(store.get(key))
    expect(err.kind).toBe('unavailable')
    expect(err.location).toBe('OS keychain')
    expect(err.message).toContain('zbus error: Failed to connect to address')
  })

  it('keeps secrets out of a write failure even when the backend echoes its input', async () => {
    const backend: KeytarLike = {
      ...createMemoryKeytar(),
      setPassword: async (_s, _a, password) => {
        throw new Error(`refused to store ${password}`)
      },
    }
    const err = await rejection(createKeychainStore({ backend }).set(makeCredential()))
    expect(err.kind).toBe('unavailable')
    for (const secret of [FIXTURE_ACCESS_TOKEN, FIXTURE_REFRESH_TOKEN, FIXTURE_CLIENT_SECRET]) {
      expect(err.message).not.toContain(secret)
    }
    expect(err.cause).toBeUndefined()
  })
})

describe('probeKeychain', () => {
  it('is ok when the keychain answers, even with nothing stored', async () => {
    expect(await probeKeychain(createKeychainStore({ backend: createMemoryKeytar() }))).toEqual({ ok: true })
  })

  it('reports the backend reason when the keychain fails', async () => {
    const store = createKeychainStore({ backend: failingKeytar(new Error('no D-Bus session')) })
    expect(await probeKeychain(store)).toEqual({ ok: false, reason: 'no D-Bus session' })
  })

  it('stops waiting at its own bound, shorter than the store bound', async () => {
    const store: CredentialStore = createKeychainStore({ backend: hangingKeytar(), timeoutMs: 60_000 })
    const started = performance.now()
    const result = await probeKeychain(store, { timeoutMs: 30 })
    expect(result).toEqual({ ok: false, reason: 'it did not answer in time' })
    expect(performance.now() - started).toBeLessThan(2000)
  })
})
