import { describe, expect, it } from 'vitest'
import { createEitherStore } from '../../../src/store/either-store'
import { StoreError, storeKindOf, type CredentialKey, type StoreLookup } from '../../../src/store/credential-store'
import { MemoryStore } from '../../fakes'
import { stored } from '../session/helpers'

const key = { provider: 'acme', profile: 'default' }
const older = stored({ access_token: 'at-keychain-old', refresh_token: 'rt-keychain-old', updated_at: '2025-12-01T00:00:00Z' })
const newer = stored({ access_token: 'at-file-new', refresh_token: 'rt-file-new', updated_at: '2025-12-31T00:00:00Z' })

function stores() {
  const keychain = new MemoryStore('keychain', 'OS keychain')
  const file = new MemoryStore('file', '/data')
  return { keychain, file, either: createEitherStore(keychain, file) }
}

const tokenOf = (lookup: StoreLookup) => (lookup.status === 'found' ? lookup.credential.access_token : undefined)

describe('the default store (keychain, then file store) when both hold a copy', () => {
  it('uses the newer copy: a file-store login made while the keychain was away is not hidden by an older keychain one', async () => {
    const { keychain, file, either } = stores()
    await keychain.set(older)
    await file.set(newer)
    expect(tokenOf(await either.get(key))).toBe('at-file-new')
    expect(storeKindOf(either, key)).toBe('file')
  })

  it('uses the newer keychain copy over an older file-store one', async () => {
    const { keychain, file, either } = stores()
    await keychain.set({ ...newer, access_token: 'at-keychain-new' })
    await file.set({ ...older, access_token: 'at-file-old' })
    expect(tokenOf(await either.get(key))).toBe('at-keychain-new')
  })

  it('prefers the keychain copy when both were written at the same time', async () => {
    const { keychain, file, either } = stores()
    await keychain.set({ ...newer, access_token: 'at-keychain' })
    await file.set({ ...newer, access_token: 'at-file' })
    expect(tokenOf(await either.get(key))).toBe('at-keychain')
    expect((await either.list()).map((c) => [c.access_token, storeKindOf(either, c)])).toEqual([['at-keychain', 'keychain']])
  })

  it('lists one row per credential, the copy get uses, with the store it lives in', async () => {
    const { keychain, file, either } = stores()
    await keychain.set(older)
    await file.set(newer)
    await keychain.set(stored({ profile: 'work', access_token: 'at-work' }))
    const rows = (await either.list()).map((c) => [c.profile, c.access_token, storeKindOf(either, c)])
    expect(rows.sort()).toEqual([
      ['default', 'at-file-new', 'file'],
      ['work', 'at-work', 'keychain'],
    ])
  })

  it('writes a refreshed credential back over the copy it read (the newer), and leaves the other alone', async () => {
    const { keychain, file, either } = stores()
    await keychain.set(older)
    await file.set(newer)
    const other = createEitherStore(keychain, file)
    await other.set({ ...newer, access_token: 'at-file-refreshed', updated_at: '2026-01-01T00:00:00Z' })
    expect(tokenOf(await file.get(key))).toBe('at-file-refreshed')
    expect(tokenOf(await keychain.get(key))).toBe('at-keychain-old')
    expect(tokenOf(await either.get(key))).toBe('at-file-refreshed')
  })

  it('gives every copy, newest first, and delete removes them all', async () => {
    const { keychain, file, either } = stores()
    await keychain.set(older)
    await file.set(newer)
    expect((await either.copiesOf!(key)).map((c) => c.access_token)).toEqual(['at-file-new', 'at-keychain-old'])
    expect(await either.delete(key)).toBe(true)
    expect([keychain.items.size, file.items.size]).toEqual([0, 0])
    expect(await either.get(key)).toEqual({ status: 'missing' })
  })

  it('still reads the keychain copy when the file-store copy is unreadable', async () => {
    const { keychain, file, either } = stores()
    await keychain.set(older)
    file.get = async (k: CredentialKey) => {
      throw new StoreError('corrupt', '/data/acme@default.json', 'cannot be parsed', { key: k })
    }
    expect(tokenOf(await either.get(key))).toBe('at-keychain-old')
  })

  it('reports an unreadable file-store copy when the keychain has none', async () => {
    const { file, either } = stores()
    file.get = async (k: CredentialKey) => {
      throw new StoreError('corrupt', '/data/acme@default.json', 'cannot be parsed', { key: k })
    }
    await expect(either.get(key)).rejects.toThrow(/cannot be parsed/)
  })
})
