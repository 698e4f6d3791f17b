import { describe, expect, it } from 'vitest'
import { renderAllHelp } from '../../../src/cli/help-snapshot'
import { TERMINAL_WIDTH } from '../../../src/cli/render'

describe('every --help text (the snapshot the fast build prints, rendered by commander)', () => {
  it('has the root and every visible command, each with its usage line', async () => {
    const texts = await renderAllHelp()
    expect(Object.keys(texts)).toEqual(expect.arrayContaining(['', 'login', 'call', 'token', 'status', 'version']))
    expect(Object.keys(texts)).not.toContain('__complete')
    for (const [key, text] of Object.entries(texts)) expect(text).toMatch(new RegExp(`^Usage: oauth-cli ${key}`))
  })

  it('gives examples in every help text (SPEC: "--help with examples")', async () => {
    const without = Object.entries(await renderAllHelp()).filter(([, text]) => !/\nExamples:\n {2}\S/.test(text))
    expect(without.map(([key]) => key || '(root)')).toEqual([])
  })

  it(`fits ${TERMINAL_WIDTH} columns: no line is longer`, async () => {
    const long: string[] = []
    for (const [key, text] of Object.entries(await renderAllHelp())) {
      for (const line of text.split('\n')) if (line.length > TERMINAL_WIDTH) long.push(`${key || '(root)'}: ${line}`)
    }
    expect(long).toEqual([])
  })
})
