/**
 * The fast build is minified (scripts/build.mjs): there a class's own name is
 * a letter or two, so an error's `name` (compared across the two builds, as
 * isReaderGone and NotOnFastPath are) must be spelled out, never taken from
 * the class (`new.target.name`, `constructor.name`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = fileURLToPath(new URL('../../src', import.meta.url))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** Each `class X extends …Error {` with the body up to the next top-level `}` line, per file. */
function errorClasses(): Array<{ where: string; name: string; body: string }> {
  return sourceFiles(SRC).flatMap((file) => {
    const text = readFileSync(file, 'utf8')
    return [...text.matchAll(/^(?:export )?class (\w+) extends \w*Error \{\n([\s\S]*?)^\}/gm)].map((m) => ({
      where: relative(SRC, file),
      name: m[1] as string,
      body: m[2] as string,
    }))
  })
}

describe('error names', () => {
  it('finds the error classes', () => {
    expect(errorClasses().map((c) => c.name)).toEqual(expect.arrayContaining(['CliError', 'UsageError', 'StoreError', 'ConfigError']))
  })

  it('spells out every error class name, which minifying the fast build would otherwise change', () => {
    const unnamed = errorClasses()
      .filter(({ name, body }) => !body.includes(`this.name = '${name}'`) && !body.includes(`override name = '${name}'`))
      .map(({ where, name }) => `${where}: ${name}`)
    expect(unnamed).toEqual([])
  })

  it('never takes a name from a class at run time', () => {
    const found = sourceFiles(SRC).filter((file) => /\bnew\.target\.name\b|\bconstructor\.name\b/.test(readFileSync(file, 'utf8')))
    expect(found.map((f) => relative(SRC, f))).toEqual([])
  })
})
