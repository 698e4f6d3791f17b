import { describe, expect, it } from 'vitest'
import { parseStore } from '../../../src/cli/options'
import { isSharedStoreUrl } from '../../../src/store/credential-store'

describe('isSharedStoreUrl, the one test of "this store choice is the shared store"', () => {
  it.each(['postgres://ci@db/oauth', 'postgresql://u@h:5432/db', 'POSTGRES://db', 'PostgreSQL://db'])('%s names the shared store, and --store takes it', (url) => {
    expect(isSharedStoreUrl(url)).toBe(true)
    expect(parseStore(url)).toBe(url)
  })

  it.each(['file', 'keychain', 'mysql://db', 'postgres:db', 'postgres:/db', 'postgresq://h', 'postgre://h', ' postgres://db', ''])('%j does not', (value) => {
    expect(isSharedStoreUrl(value)).toBe(false)
  })

  it('undefined (nothing chosen) does not', () => {
    expect(isSharedStoreUrl(undefined)).toBe(false)
  })
})
