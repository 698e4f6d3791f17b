import { describe, expect, it } from 'vitest'
import { ABSENT } from '../../../src/store/credential-store'
import { versionedView } from '../../../src/store/versioned'
import { FIXTURE_ACCESS_TOKEN, FIXTURE_REFRESH_TOKEN, MemoryStore, makeCredential } from '../../fakes'

const key = { provider: 'livechat', profile: 'default' }

async function revisionNow(view: ReturnType<typeof versionedView>): Promise<string> {
  const found = await view.getVersioned(key)
  if (found.status !== 'found') throw new Error('expected a stored credential')
  return found.revision
}

describe('a local store seen as a versioned store', () => {
  it('gives the same revision for the same credential, read again or rewritten unchanged', async () => {
    const store = new MemoryStore()
    await store.set(makeCredential())
    const view = versionedView(store)
    const first = await revisionNow(view)
    expect(await revisionNow(view)).toBe(first)
    await store.set(makeCredential())
    expect(await revisionNow(view)).toBe(first)
  })

  it('writes by compare-and-set only while nothing changed since the read, and answers the new revision', async () => {
    const store = new MemoryStore()
    await store.set(makeCredential())
    const view = versionedView(store)
    const read = await revisionNow(view)
    const next = makeCredential({ access_token: 'at-next' })
    const written = await view.compareAndSet(next, read)
    expect(written).toBeDefined()
    expect(written).not.toBe(read)
    expect(await revisionNow(view)).toBe(written)
    // The revision it was read at is spent: a second writer holding it is refused, and nothing is overwritten.
    expect(await view.compareAndSet(makeCredential({ access_token: 'at-late' }), read)).toBeUndefined()
    expect(await store.get(key)).toMatchObject({ status: 'found', credential: { access_token: 'at-next' } })
  })

  it('refuses a write when another process changed even one field meanwhile', async () => {
    const store = new MemoryStore()
    await store.set(makeCredential())
    const view = versionedView(store)
    const read = await revisionNow(view)
    await store.set(makeCredential({ updated_at: '2029-12-31T23:00:00.001Z' }))
    expect(await view.compareAndSet(makeCredential({ access_token: 'at-next' }), read)).toBeUndefined()
  })

  it('creates against ABSENT only while nothing is stored', async () => {
    const store = new MemoryStore()
    const view = versionedView(store)
    expect(await view.compareAndSet(makeCredential(), ABSENT)).toBeDefined()
    expect(await view.compareAndSet(makeCredential({ access_token: 'at-other' }), ABSENT)).toBeUndefined()
  })

  it('never carries a secret in a revision', async () => {
    const store = new MemoryStore()
    await store.set(makeCredential())
    const revision = await revisionNow(versionedView(store))
    expect(revision).not.toContain(FIXTURE_ACCESS_TOKEN)
    expect(revision).not.toContain(FIXTURE_REFRESH_TOKEN)
    expect(revision).not.toBe(ABSENT)
  })
})
