/**
 * Builds dist/ once before the suite, so end-to-end tests always spawn the
 * current source (bin/oauth-cli.cjs loads dist/main.cjs, which hands most commands to dist/esm/). A failed build does
 * not stop unit tests; it removes dist/ so end-to-end tests fail loudly
 * instead of running a stale build.
 */
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  try {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
  } catch {
    rmSync(`${root}/dist`, { recursive: true, force: true })
    process.stderr.write('global-setup: the build failed; end-to-end tests will fail\n')
  }
}
