import { describe, expect, it } from 'vitest'
import { renderAllHelp } from '../../../src/cli/help-snapshot'
import { runCli } from '../../../src/cli/program'
import { makeTestDeps } from '../../fakes'
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

describe('--store in help', () => {
  /** The --store entry of a help text: its line and the description lines wrapped under it. */
  function storeEntry(text: string): string | undefined {
    const lines = text.split('\n')
    const start = lines.findIndex((line) => /^ {2}--store <store>/.test(line))
    if (start === -1) return undefined
    const rest = lines.slice(start + 1)
    const end = rest.findIndex((line) => !/^ {4,}\S/.test(line))
    return [lines[start] as string, ...rest.slice(0, end === -1 ? rest.length : end)].map((line) => line.trim()).join(' ')
  }

  it('names keychain, file and both URL schemes, with no choices list that would leave the URL out', async () => {
    const texts = await renderAllHelp()
    // Subcommands are not in the snapshot (their help comes from commander at run time).
    for (const sub of ['use', 'list']) {
      const deps = makeTestDeps()
      expect(await runCli(['profile', sub, '--help'], deps)).toBe(0)
      texts[`profile ${sub}`] = deps.io.stdoutText
    }
    const withStore = Object.entries(texts).filter(([, text]) => storeEntry(text) !== undefined)
    expect(withStore.map(([key]) => key)).toEqual(expect.arrayContaining(['', 'login', 'call', 'token', 'refresh', 'status', 'logout', 'export', 'import', 'doctor', 'profile use', 'profile list']))
    for (const [key, text] of withStore) {
      const entry = storeEntry(text) as string
      expect({ key, entry }).toEqual({ key, entry: expect.stringMatching(/keychain, file,? or a (shared )?postgres:\/\/.*postgresql:\/\//) })
      expect({ key, entry }).toEqual({ key, entry: expect.not.stringContaining('choices') })
    }
  })
})
