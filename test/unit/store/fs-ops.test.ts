import { describe, expect, it } from 'vitest'
import { errnoCode, mkdirPrivate, unlessMissing } from '../../../src/store/fs-ops'

const fsError = (code: string) => Object.assign(new Error(`${code}: boom`), { code })
const fail = (err: unknown) => new Error(`wrapped ${errnoCode(err)}`)

describe('unlessMissing', () => {
  it.each([
    ['the operation succeeds', () => Promise.resolve('text'), 'text'],
    ['the path does not exist (ENOENT)', () => Promise.reject(fsError('ENOENT')), 'absent'],
  ])('answers when %s', async (_case, op, expected) => {
    await expect(unlessMissing(op, 'absent', fail)).resolves.toBe(expected)
  })

  it.each(['EACCES', 'EISDIR', 'ENOSPC'])('passes %s on through fail, never as missing', async (code) => {
    await expect(unlessMissing(() => Promise.reject(fsError(code)), 'absent', fail)).rejects.toThrow(`wrapped ${code}`)
  })
})

describe('mkdirPrivate', () => {
  it('creates the directory and its parents, owner-only', async () => {
    const calls: unknown[] = []
    await mkdirPrivate(async (path, options) => void calls.push([path, options]), '/a/b', fail)
    expect(calls).toEqual([['/a/b', { recursive: true, mode: 0o700 }]])
  })

  it('reports a failure through fail', async () => {
    await expect(mkdirPrivate(() => Promise.reject(fsError('EROFS')), '/a', fail)).rejects.toThrow('wrapped EROFS')
  })
})

describe('errnoCode', () => {
  it.each([
    [fsError('ENOENT'), 'ENOENT'],
    [new Error('plain'), undefined],
    [undefined, undefined],
  ])('%s → %s', (err, code) => {
    expect(errnoCode(err)).toBe(code)
  })
})
