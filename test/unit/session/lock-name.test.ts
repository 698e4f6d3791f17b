import { describe, expect, it } from 'vitest'
import { refreshLockName } from '../../../src/session/save-issued'
import { encodeFileNamePart } from '../../../src/store/codec'

/** Keys whose naive `refresh-${provider}-${profile}` (or a join on any one character) coincide. */
const LOOKALIKES: Array<[string, string]> = [
  ['a-b', 'c'],
  ['a', 'b-c'],
  ['a-b-c', 'default'],
  ['a', 'b-c-default'],
  ['a@b', 'c'],
  ['a', 'b@c'],
  ['a%2Db', 'c'],
  ['a%b', 'c'],
  ['a.b', 'c'],
  ['a', '.b'],
  ['a', '-b'],
  ['a-', 'b'],
]

describe('refreshLockName', () => {
  it('gives every provider and profile pair its own lock, however their names are split by dashes', () => {
    const names = LOOKALIKES.map(([provider, profile]) => refreshLockName({ provider, profile }))
    expect(new Set(names).size).toBe(LOOKALIKES.length)
  })

  it('keeps the lock file name safe on every platform (no separator, no leading dot)', () => {
    for (const [provider, profile] of [...LOOKALIKES, ['../x', 'a/b\\c:d*e'] as [string, string]]) {
      const file = `${encodeFileNamePart(refreshLockName({ provider, profile }))}.lock`
      expect(file).toMatch(/^[A-Za-z0-9_%-][A-Za-z0-9._%-]*\.lock$/)
    }
  })

  it('keeps the name of plain keys as it was, so older versions running beside take the same lock', () => {
    expect(refreshLockName({ provider: 'acme', profile: 'default' })).toBe('refresh-acme-default')
  })
})
