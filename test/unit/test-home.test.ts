/**
 * The test doubles' Deps never point at a real home: tests may run as root,
 * who can write anywhere, and the code under test writes under the home (an
 * emergency file, profiles.json). Every makeTestDeps gets its own empty temp
 * home unless the test names one.
 */
import { existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { relative, sep } from 'node:path'
import { describe, expect, it } from 'vitest'
import { saveIssued } from '../../src/session/save-issued'
import { StoreError } from '../../src/store/credential-store'
import { makeTestDeps, MemoryStore } from '../fakes'
import { stored } from './session/helpers'

const insideTemp = (path: string): boolean => {
  const rel = relative(tmpdir(), path)
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep)
}

describe('makeTestDeps', () => {
  it('gives every Deps its own empty home under the temp dir', () => {
    const [a, b] = [makeTestDeps(), makeTestDeps()]
    expect(insideTemp(a.homedir), a.homedir).toBe(true)
    expect(a.homedir).not.toBe(b.homedir)
    expect(readdirSync(a.homedir)).toEqual([])
  })

  it('keeps what the code writes under the home (an emergency file) inside that temp home', async () => {
    const store = new MemoryStore()
    store.set = async () => {
      throw new StoreError('io', 'memory', 'ENOSPC')
    }
    const deps = makeTestDeps({ store })
    const err = (await saveIssued(store, stored(), deps).catch((e: unknown) => e)) as StoreError
    const path = /written to (\S+) \(mode 0600/.exec(err.message)?.[1]
    expect(path, err.message).toBeDefined()
    expect(path!.startsWith(`${deps.homedir}${sep}`), path).toBe(true)
    expect(existsSync(path!)).toBe(true)
  })

  it('reads `~/…` in `files` as under that home', async () => {
    const deps = makeTestDeps({ files: { '~/.config/oauth-cli/config.json': '{}' } })
    expect(await deps.readTextFile(`${deps.homedir}/.config/oauth-cli/config.json`)).toBe('{}')
  })
})
