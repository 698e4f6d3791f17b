/**
 * Makes the directory every test's temp home goes in (test/fakes makeTestHome:
 * $OAUTH_CLI_TEST_HOMES, which the test processes inherit), removed after the
 * suite: test processes may end without running their exit handlers.
 * Builds dist/ once before the suite, so end-to-end tests always spawn the
 * current source (bin/oauth-cli.cjs loads dist/main.cjs, which hands most commands to dist/esm/). A failed build does
 * not stop unit tests; it removes dist/ so end-to-end tests fail loudly
 * instead of running a stale build.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export default function setup(): () => void {
  const homes = mkdtempSync(join(tmpdir(), 'oauth-cli-test-homes-'))
  process.env.OAUTH_CLI_TEST_HOMES = homes
  const root = fileURLToPath(new URL('../..', import.meta.url))
  try {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
  } catch {
    rmSync(`${root}/dist`, { recursive: true, force: true })
    process.stderr.write('global-setup: the build failed; end-to-end tests will fail\n')
  }
  return () => rmSync(homes, { recursive: true, force: true })
}
