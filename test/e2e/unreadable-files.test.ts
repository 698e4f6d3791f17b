/**
 * A file the user points at (--config, a -d @file) that is there but cannot
 * be read as a file: exit 2 naming the path and what to do, in the fast build
 * and the full CLI alike, never an "unexpected error". (EACCES cannot be shown
 * as root; EISDIR can.) The working directory's .env is read unasked: a
 * directory by that name (a Python virtualenv) is none at all
 * (test/security/hostile-dotenv.test.ts has the rest).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { it, SUITE, apiRequests, expectExit, loginAcme } from './world'

describe('a path that is a directory where a file is read', SUITE, () => {
  it.for([['token', 'acme'], ['refresh', 'acme'], ['providers'], ['call', 'acme', '/me']])(
    '--config <directory> with %j: exit 2, naming it',
    async (args, { makeWorld }) => {
      const world = await makeWorld()
      const dir = join(world.home.home, 'conf.d')
      mkdirSync(dir)
      const run = await world.cli([...args, '--config', dir])
      expectExit(run, 2)
      expect(run.stdout).toBe('')
      expect(run.stderr).toBe(`oauth-cli: cannot read ${dir}: it is a directory\ngive the path of a file\n`)
    },
  )

  it.for([['token', 'acme'], ['refresh', 'acme'], ['call', 'acme', '/me']])(
    'a .env directory (a Python virtualenv) in the working directory with %j: passed over, the command answers',
    async (args, { makeWorld }) => {
      const world = await makeWorld()
      await loginAcme(world)
      const cwd = join(world.home.home, 'project')
      mkdirSync(join(cwd, '.env', 'bin'), { recursive: true })
      const run = await world.cli(args, { cwd })
      expectExit(run, 0)
      expect(run.stderr).not.toContain('.env')
    },
  )

  it('call -d @<directory>: exit 2 naming it, nothing sent', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli(['call', 'acme', '/me', '-d', `@${world.home.home}`])
    expectExit(run, 2)
    expect(run.stderr).toBe(`oauth-cli: cannot read ${world.home.home}: it is a directory\ngive the path of a file\n`)
    expect(apiRequests(world.fp)).toHaveLength(0)
  })
})
