/**
 * A checkout run before it was built (a clone without `npm install`, or after
 * `rm -rf dist`): bin/ says what is missing and how to build it, exit 1,
 * instead of a Node stack trace.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, runCli } from '../support/run-cli'

const root = mkdtempSync(join(tmpdir(), 'oauth-cli-unbuilt-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('a copy of oauth-cli without dist/', () => {
  it.each([[['token', 'acme']], [['status']], [['call', 'acme', '/x']]])('%j says dist is missing and to run npm run build, exit 1', async (args) => {
    for (const part of ['bin', 'package.json']) cpSync(join(REPO_ROOT, part), join(root, part), { recursive: true })
    const run = await runCli(args, { env: { HOME: root }, entry: join(root, 'bin', 'oauth-cli.cjs') })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(new RegExp(`^oauth-cli: ${join(root, 'dist')}/[\\w-]+\\.cjs is missing: this copy of oauth-cli is not built\\nrun: npm run build \\(in ${root}\\)\\n$`))
  })

  it('--version still answers (it needs no dist/)', async () => {
    for (const part of ['bin', 'package.json']) cpSync(join(REPO_ROOT, part), join(root, part), { recursive: true })
    const run = await runCli(['--version'], { env: { HOME: root }, entry: join(root, 'bin', 'oauth-cli.cjs') })
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/^oauth-cli \d+\.\d+\.\d+\n$/)
  })
})
