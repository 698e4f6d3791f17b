/**
 * Issue 10 item 4: the browser the tool starts is another program, with its
 * own extensions, crash reporters and child processes; it must not inherit the
 * tool's secrets through its environment. Both launch paths are checked: a
 * `$BROWSER` command, and the `open` package (here through its xdg-open, which
 * finds a fake `x-www-browser` first on PATH, with no desktop default). Each fake browser writes its
 * environment to a file, then completes the login like a real one.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { BROWSER_FOLLOW, testPath } from '../support/run-cli'
import { it, SUITE, expectExit, type World } from '../e2e/world'

const SECRETS: Record<string, string> = {
  OAUTH_CLI_PASSPHRASE: 'passphrase-never-in-browser-1',
  OAUTH_CLI_OTHER_TOKEN: 'env-token-never-in-browser-2',
  PGPASSWORD: 'pg-password-never-in-browser-3',
  OTHERAPP_CLIENT_SECRET: 'other-secret-never-in-browser-4',
  DATABASE_URL: 'postgres://ci:url-password-never-in-browser-5@db.internal/oauth',
}

/** A fake browser: dumps its environment (NUL-separated) to `dump`, then follows the authorization URL. */
function envDumpingBrowser(world: World, name: string, dump: string): string {
  return world.home.writeExecutable(name, `#!/bin/sh\nenv -0 > '${dump}'\nexec '${process.execPath}' '${BROWSER_FOLLOW}' "$1"\n`)
}

function readEnvDump(path: string): Record<string, string> {
  const entries = readFileSync(path, 'utf8').split('\0').filter(Boolean)
  return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]))
}

function expectNoSecrets(env: Record<string, string>, world: World): void {
  const text = JSON.stringify(env)
  for (const [name, value] of Object.entries({ ...SECRETS, ACME_CLIENT_SECRET: world.fp.clientSecret })) {
    expect(env, `${name} reached the browser`).not.toHaveProperty(name)
    expect(text.includes(value), `the value of ${name} reached the browser`).toBe(false)
  }
  // What a browser needs is still there.
  expect(env.HOME).toBe(world.home.home)
  expect(env.PATH).toBeTruthy()
}

describe('the browser process environment', SUITE, () => {
  it('holds none of the secrets when started from $BROWSER', async ({ makeWorld }) => {
    const world = await makeWorld()
    const dump = join(world.home.home, 'browser-env')
    const browser = envDumpingBrowser(world, 'browser', dump)
    const run = await world.cli(['login', 'acme'], { env: { ...SECRETS, BROWSER: browser } })
    expectExit(run, 0)
    expectNoSecrets(readEnvDump(dump), world)
  })

  it('holds none of the secrets when started through the open package', async ({ makeWorld }) => {
    const world = await makeWorld()
    const dump = join(world.home.home, 'browser-env')
    const browser = envDumpingBrowser(world, 'x-www-browser', dump)
    // No desktop default: xdg-open falls back to the first browser on PATH, the fake one.
    world.home.writeExecutable('xdg-mime', '#!/bin/sh\nexit 0\n')
    const run = await world.cli(['login', 'acme'], {
      env: { ...SECRETS, BROWSER: '', DISPLAY: ':99', PATH: `${join(browser, '..')}:${testPath()}` },
    })
    expectExit(run, 0)
    expect(run.stderr).not.toMatch(/no browser could be opened/)
    expectNoSecrets(readEnvDump(dump), world)
  })
})
