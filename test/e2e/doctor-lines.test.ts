/**
 * `doctor` read in an 80-column terminal and through a pipe, on the built CLI:
 * on a terminal every line fits (a long detail wraps under its column); piped,
 * one line per check, for grep. The keychain line stays informative either way.
 */
import { spawnSync } from 'node:child_process'
import { describe, expect } from 'vitest'
import { CLI_BIN, testPath } from '../support/run-cli'
import { it, SUITE, expectExit, type World } from './world'

/** `doctor` on a pseudo-terminal (util-linux `script`), as a user reads it; CR LF turned back into LF. */
function doctorOnTerminal(world: World): { status: number | null; text: string } {
  const command = `'${process.execPath}' '${CLI_BIN}' doctor`
  const run = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: world.env.HOME,
    env: { PATH: testPath(), ...world.env },
    encoding: 'utf8',
    timeout: 20_000,
  })
  return { status: run.status, text: run.stdout.replace(/\r\n/g, '\n') }
}

/** The check's line and the continuation lines under its column. */
function checkText(lines: string[], name: string): string {
  const start = lines.findIndex((l) => new RegExp(`^. ${name} `).test(l))
  expect(start, lines.join('\n')).toBeGreaterThanOrEqual(0)
  const block = [lines[start]!]
  for (const line of lines.slice(start + 1)) {
    if (!/^ {4,}\S/.test(line)) break
    block.push(line)
  }
  return block.map((l) => l.trim()).join(' ')
}

// The harness passes no D-Bus address and no XDG_RUNTIME_DIR: no keychain here, and the file store is selected.
describe('doctor in 80 columns', SUITE, () => {
  it('on a terminal keeps every line within 80 columns, wrapping a long detail under its column', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = doctorOnTerminal(world)
    expect(run.status, run.text).toBe(0)
    const lines = run.text.trimEnd().split('\n')
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80)
    const keychain = checkText(lines, 'keychain')
    expect(keychain).toContain('not needed: the file store is selected')
    expect(keychain).toContain('no D-Bus session bus')
  })

  it('piped keeps one line per check, and the keychain line says the missing keychain once', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['doctor'])
    expectExit(run, 0)
    const keychain = run.stdout.split('\n').find((l) => l.startsWith('✓ keychain'))
    expect(keychain).toMatch(/^✓ keychain +not needed: the file store is selected \(none here: no D-Bus session bus/)
    expect(keychain).not.toMatch(/not available.*not available/)
    expect(run.stdout.split('\n').every((l) => l === '' || /^[✓!✗] /.test(l) || /^ +fix: /.test(l))).toBe(true)
  })
})
