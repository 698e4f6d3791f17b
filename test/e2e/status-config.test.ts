/**
 * A malformed config file is a configuration error for `status` as for every
 * other command: exit 2, the file and the problem named on stderr, nothing on
 * stdout. Bare `status` used to list (exit 0) as if the file were fine, while
 * `status <provider>` and `providers` refused it. The fast build and the full
 * CLI (dist/esm/main-full.js run directly) answer alike.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { REPO_ROOT } from '../support/run-cli'
import { expectExit, it, loginAcme, SUITE } from './world'

let dir: string
let fullCli: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oauth-cli-status-config-'))
  fullCli = join(dir, 'full-cli.mjs')
  const mainFull = pathToFileURL(join(REPO_ROOT, 'dist', 'esm', 'main-full.js')).href
  writeFileSync(fullCli, `import { mainFull } from ${JSON.stringify(mainFull)}\nprocess.exitCode = await mainFull(process, process.argv.slice(2))\n`)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const BROKEN = [
  { what: 'invalid JSON', text: '{"providers": {\n', problem: /:2:1: invalid JSON/ },
  { what: 'an unknown top-level key', text: '{"provider": {}}\n', problem: /provider: unknown key; did you mean "providers"\?/ },
  { what: 'an insecure endpoint', text: '{"providers": {"acme": {"token_endpoint": "http://id.example/token"}}}\n', problem: /https/ },
]

describe('status with a malformed config file', SUITE, () => {
  it.for(BROKEN)('exits 2 naming the file and the problem ($what), in the fast build and the full CLI alike', async ({ text, problem }, { makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const path = world.home.writeConfig(text)
    for (const argv of [['status'], ['status', '--json'], ['status', '--profile', 'work']]) {
      const fast = await world.cli(argv)
      expectExit(fast, 2)
      expect(fast.stdout).toBe('')
      expect(fast.stderr).toContain(path)
      expect(fast.stderr).toMatch(problem)
      const full = await world.cli(argv, { entry: fullCli })
      expect({ argv, ...fast }).toEqual({ argv, ...full })
    }
  })

  it('a config file named by OAUTH_CLI_CONFIG that does not exist is exit 2 too, as for every other command', async ({ makeWorld }) => {
    const world = await makeWorld()
    const missing = join(world.home.home, 'nowhere.json')
    const run = await world.cli(['status'], { env: { OAUTH_CLI_CONFIG: missing } })
    expectExit(run, 2)
    expect(run.stderr).toContain(missing)
    expect(run).toEqual(await world.cli(['providers'], { env: { OAUTH_CLI_CONFIG: missing } }))
  })
})
