import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeBundle } from '../../../src/session/bundle'
import { rescueCredential } from '../../../src/session/rescue'
import { stored } from './helpers'

const homes: string[] = []
function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-cli-rescue-'))
  homes.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('rescueCredential', () => {
  it('writes every rescue of one credential within the same second to its own 0600 file in the data directory', async () => {
    const homedir = home()
    const env = { XDG_DATA_HOME: join(homedir, 'data') }
    const now = Date.parse('2026-01-01T00:00:00.123Z')
    const paths: Array<string | undefined> = []
    for (let i = 0; i < 6; i++) paths.push(await rescueCredential(stored({ access_token: `at-${i}` }), { env, homedir, now }))
    expect(paths.every((p) => p !== undefined && dirname(p) === join(homedir, 'data', 'oauth-cli'))).toBe(true)
    expect(new Set(paths).size).toBe(6)
    paths.forEach((path, i) => {
      expect(statSync(path!).mode & 0o777).toBe(0o600)
      const decoded = decodeBundle(readFileSync(path!, 'utf8'))
      expect(decoded.ok && decoded.credential.access_token).toBe(`at-${i}`)
    })
  })

  it('falls through to the next directory when the data directory cannot be created', async () => {
    const homedir = home()
    // A file where the data directory's parent should be: mkdir fails there (even for root).
    writeFileSync(join(homedir, 'not-a-dir'), '')
    const env = { XDG_DATA_HOME: join(homedir, 'not-a-dir'), XDG_STATE_HOME: join(homedir, 'state') }
    const path = await rescueCredential(stored(), { env, homedir, now: Date.now() })
    expect(path).toBeDefined()
    expect(dirname(path!)).toBe(join(homedir, 'state', 'oauth-cli'))
    expect(statSync(path!).mode & 0o777).toBe(0o600)
  })
})
