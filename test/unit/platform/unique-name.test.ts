import { describe, expect, it } from 'vitest'
import { randomHex } from '../../../src/platform/unique-name'

describe('randomHex', () => {
  it.for([1, 4, 6, 8, 16])('gives %i bytes as lower-case hex', (bytes) => {
    expect(randomHex(bytes)).toMatch(new RegExp(`^[0-9a-f]{${2 * bytes}}$`))
  })

  it('does not repeat across many names', () => {
    const names = new Set(Array.from({ length: 10_000 }, () => randomHex(6)))
    expect(names.size).toBe(10_000)
  })

  it('differs between processes started alike (the seed is not in the start-up snapshot)', async () => {
    const { execFileSync } = await import('node:child_process')
    const draw = () => execFileSync(process.execPath, ['-e', 'process.stdout.write(String(Math.random()))'], { encoding: 'utf8' })
    expect(draw()).not.toBe(draw())
  })
})
