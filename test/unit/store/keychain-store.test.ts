import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KEYCHAIN_ITEM_MAX_LENGTH } from '../../../src/store/codec'
import { StoreError, type CredentialStore, type StoredCredential } from '../../../src/store/credential-store'
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
} from '../../fakes/credential'
import { rejectionOf } from '../../fakes'

/**
 * An in-memory keychain with the keytar shape, keyed service → account → password.
 * With `maxBlobBytes`, it refuses a password whose UTF-16 form is larger, as
 * Windows Credential Manager does through keyring-rs.
 */
function createMemoryKeytar(
  maxBlobBytes = Number.POSITIVE_INFINITY,
): KeytarLike & { items: Map<string, Map<string, string>> } {
  const items = new Map<string, Map<string, string>>()
  const service = (name: string): Map<string, string> => {
    let accounts = items.get(name)
    if (!accounts) items.set(name, (accounts = new Map()))
    return accounts
  }
  return {
    items,
    getPassword: async (s, a) => service(s).get(a) ?? null,
    setPassword: async (s, a, p) => {
      if (p.length * 2 > maxBlobBytes) {
        throw new Error(`Attribute 'password' is longer than platform limit of ${maxBlobBytes} chars`)
      }
      service(s).set(a, p)
    },
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

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, StoreError)

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

  it('reports the backend reason when the keychain fails, as not a time-out even when its wording sounds like one', async () => {
    const store = createKeychainStore({ backend: failingKeytar(new Error('no D-Bus session')) })
    expect(await probeKeychain(store)).toEqual({ ok: false, reason: 'no D-Bus session', timedOut: false })
    const wordy = createKeychainStore({ backend: failingKeytar(new Error('the keyring was not unlocked in time by the login session')) })
    expect(await probeKeychain(wordy)).toMatchObject({ ok: false, timedOut: false })
  })

  it('stops waiting at its own bound, shorter than the store bound', async () => {
    const store: CredentialStore = createKeychainStore({ backend: hangingKeytar(), timeoutMs: 60_000 })
    const started = performance.now()
    const result = await probeKeychain(store, { timeoutMs: 30 })
    expect(result).toEqual({ ok: false, reason: 'it did not answer in time', timedOut: true })
    expect(performance.now() - started).toBeLessThan(2000)
  })
})

/** Windows Credential Manager's CRED_MAX_CREDENTIAL_BLOB_SIZE. */
const WINDOWS_BLOB_BYTES = 2560
const CHUNK_ACCOUNT = /^livechat:default#[0-9a-f]+\.[0-9]+$/

/** A JWT-sized credential: a 6 KB access token and a 4 KB id_token, neither compressible. */
function largeCredential(overrides: Partial<StoredCredential> = {}): StoredCredential {
  return makeCredential({
    access_token: `at-large-${randomBytes(4500).toString('base64url')}`,
    extra: { organization_id: 'org-1', id_token: `it-large-${randomBytes(3000).toString('base64url')}` },
    ...overrides,
  })
}

function accounts(backend: ReturnType<typeof createMemoryKeytar>, service = 'oauth-cli'): string[] {
  return [...(backend.items.get(service)?.keys() ?? [])].sort()
}

function passwords(backend: ReturnType<typeof createMemoryKeytar>, service = 'oauth-cli'): string[] {
  return [...(backend.items.get(service)?.values() ?? [])]
}

describe('keychain store with credentials too large for one item', () => {
  it('round-trips a 6 KB access token and a 4 KB id_token through a keychain that refuses items over 2560 bytes', async () => {
    const backend = createMemoryKeytar(WINDOWS_BLOB_BYTES)
    const store = createKeychainStore({ backend })
    const credential = largeCredential()
    await store.set(credential)
    expect(await store.get(key)).toEqual({ status: 'found', credential })
    const stored = accounts(backend)
    expect(stored.length).toBeGreaterThan(2)
    expect(stored.filter((a) => !CHUNK_ACCOUNT.test(a))).toEqual(['livechat:default'])
  })

  it('keeps every item within the limit, as UTF-16, and no item holds a token in the clear', async () => {
    const backend = createMemoryKeytar(WINDOWS_BLOB_BYTES)
    const credential = largeCredential()
    await createKeychainStore({ backend }).set(credential)
    for (const password of passwords(backend)) {
      expect(password.length).toBeLessThanOrEqual(KEYCHAIN_ITEM_MAX_LENGTH)
      expect(password.length * 2).toBeLessThanOrEqual(WINDOWS_BLOB_BYTES)
    }
    const main = JSON.parse(backend.items.get('oauth-cli')?.get('livechat:default') ?? 'null')
    expect(main).toEqual({
      oauth_cli_chunks: accounts(backend).length - 1,
      generation: expect.any(String),
      sha256: expect.any(String),
    })
  })

  it('stores a large but compressible credential as one compressed item', async () => {
    const backend = createMemoryKeytar(WINDOWS_BLOB_BYTES)
    const store = createKeychainStore({ backend })
    const credential = makeCredential({ scope: Array.from({ length: 200 }, (_, i) => `scope-${i % 10}:read`) })
    await store.set(credential)
    expect(accounts(backend)).toEqual(['livechat:default'])
    expect(backend.items.get('oauth-cli')?.get('livechat:default')).toMatch(/^z1:/)
    expect(await store.get(key)).toEqual({ status: 'found', credential })
  })

  it('reads an item written in the plain JSON layout of earlier versions', async () => {
    const backend = createMemoryKeytar()
    await backend.setPassword('oauth-cli', 'livechat:default', JSON.stringify(makeCredential()))
    expect(await createKeychainStore({ backend }).get(key)).toEqual({ status: 'found', credential: makeCredential() })
  })

  it.each([
    [
      'a missing chunk',
      (items: Map<string, string>, chunks: string[]) => items.delete(chunks[1]!),
      /chunk 2 of \d+ is missing/,
    ],
    [
      'a chunk that was changed',
      (items: Map<string, string>, chunks: string[]) => items.set(chunks[0]!, `x${items.get(chunks[0]!)!.slice(1)}`),
      /do not match the checksum/,
    ],
    [
      'a damaged manifest',
      (items: Map<string, string>) => items.set('livechat:default', JSON.stringify({ oauth_cli_chunks: 0 })),
      /chunk manifest is damaged/,
    ],
  ])('reports %s as corrupt, naming provider and profile and no secret', async (_, damage, reason) => {
    const backend = createMemoryKeytar(WINDOWS_BLOB_BYTES)
    const store = createKeychainStore({ backend })
    const credential = largeCredential()
    await store.set(credential)
    const items = backend.items.get('oauth-cli')!
    damage(items, accounts(backend).filter((a) => CHUNK_ACCOUNT.test(a)).sort(byChunkIndex))
    for (const attempt of [store.get(key), store.list()]) {
      const err = await rejection(attempt)
      expect(err.kind).toBe('corrupt')
      expect(err.message).toContain('livechat (profile default)')
      expect(err.message).toMatch(reason)
      expect(err.message).not.toContain(credential.access_token.slice(0, 20))
    }
  })

  it('removes the old chunks when a credential is overwritten, by a large one or a small one', async () => {
    const backend = createMemoryKeytar(WINDOWS_BLOB_BYTES)
    const store = createKeychainStore({ backend })
    await store.set(largeCredential())
    const first = accounts(backend)
    const second = largeCredential({ refresh_token: 'rt-rotated' })
    await store.set(second)
    expect(accounts(backend).filter((a) => first.includes(a))).toEqual(['livechat:default'])
    expect(await store.get(key)).toEqual({ status: 'found', credential: second })

    await store.set(makeCredential())
    expect(accounts(backend)).toEqual(['livechat:default'])
    expect(await store.get(key)).toEqual({ status: 'found', credential: makeCredential() })
  })

  it('deletes the chunks with the credential', async () => {
    const backend = createMemoryKeytar(WINDOWS_BLOB_BYTES)
    const store = createKeychainStore({ backend })
    await store.set(largeCredential())
    await store.set(makeCredential({ provider: 'tidio', kind: 'static' }))
    expect(await store.delete(key)).toBe(true)
    expect(accounts(backend)).toEqual(['tidio:default'])
    expect(await store.get(key)).toEqual({ status: 'missing' })
  })

  it('lists reassembled credentials and skips chunk items, even a leftover from an interrupted write', async () => {
    const backend = createMemoryKeytar(WINDOWS_BLOB_BYTES)
    const store = createKeychainStore({ backend })
    const large = largeCredential()
    const small = makeCredential({ provider: 'tidio', kind: 'static' })
    await store.set(small)
    await store.set(large)
    await backend.setPassword('oauth-cli', 'livechat:default#0123abcd.1', 'leftover')
    expect(await store.list()).toEqual([large, small])
  })

  it('keeps the old credential readable when a write fails halfway through the chunks', async () => {
    const backend = createMemoryKeytar(WINDOWS_BLOB_BYTES)
    const store = createKeychainStore({ backend })
    const old = largeCredential()
    await store.set(old)
    let writes = 0
    const flaky: KeytarLike = {
      ...backend,
      setPassword: async (s, a, p) => {
        if (++writes === 3) throw new Error('the keychain went away')
        return backend.setPassword(s, a, p)
      },
    }
    const err = await rejection(createKeychainStore({ backend: flaky }).set(largeCredential()))
    expect(err.kind).toBe('unavailable')
    expect(await store.get(key)).toEqual({ status: 'found', credential: old })
  })

  it('reads the new credential when a writer replaces it between reading the manifest and its chunks', async () => {
    const backend = createMemoryKeytar(WINDOWS_BLOB_BYTES)
    const writer = createKeychainStore({ backend })
    await writer.set(largeCredential())
    const newer = largeCredential({ refresh_token: 'rt-newer' })
    let raced = false
    const racing: KeytarLike = {
      ...backend,
      getPassword: async (s, a) => {
        if (CHUNK_ACCOUNT.test(a) && !raced) {
          raced = true
          await writer.set(newer)
        }
        return backend.getPassword(s, a)
      },
    }
    expect(await createKeychainStore({ backend: racing }).get(key)).toEqual({ status: 'found', credential: newer })
    expect(raced).toBe(true)
  })

  it('fails a listing with one unreadable item among good ones, naming the unreadable one', async () => {
    const backend = createMemoryKeytar(WINDOWS_BLOB_BYTES)
    const store = createKeychainStore({ backend })
    await store.set(largeCredential())
    await backend.setPassword('oauth-cli', 'tidio:work', 'not json')
    const err = await rejection(store.list())
    expect(err.kind).toBe('corrupt')
    expect(err.message).toContain('tidio (profile work)')
    expect(err.message).not.toContain('livechat')
  })

  it('round-trips credentials of any size and any text, every item within the limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 4000 }),
        fc.string({ unit: 'grapheme', maxLength: 3000 }),
        fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 4000 }),
        async (text, note, token) => {
          const backend = createMemoryKeytar(WINDOWS_BLOB_BYTES)
          const store = createKeychainStore({ backend })
          // Any text in the provider's extra fields; a token is printable ASCII (a stored one with controls is refused).
          const credential = makeCredential({ access_token: token, extra: { note, text } })
          await store.set(credential)
          expect(await store.get(key)).toEqual({ status: 'found', credential })
          expect(await store.list()).toEqual([credential])
          for (const password of passwords(backend)) {
            expect(password.length).toBeLessThanOrEqual(KEYCHAIN_ITEM_MAX_LENGTH)
          }
        },
      ),
      { numRuns: 25 },
    )
  })
})

function byChunkIndex(a: string, b: string): number {
  return Number(a.split('.').pop()) - Number(b.split('.').pop())
}
