/**
 * A credential that an older `import` stored under a profile name the CLI
 * refuses (a space, a terminal escape) could be neither used nor logged out:
 * `--profile` refused its name everywhere. `status` now names the command that
 * removes it, quoted for the shell, and `logout` takes the name as stored.
 * Every other command still refuses such a name. Through the built binary,
 * with items planted in the file store as the older version wrote them.
 */
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { createFileStore } from '../../src/store/file-store'
import { sandboxCredential } from '../security/support'
import { expectExit, it, SUITE, statusJson } from './world'

const NAMES = ['two words', 'evil\u001b]0;pwned\u0007']

describe('a credential stored under a profile name the CLI refuses', SUITE, () => {
  it('status says how to remove it, and logout --local removes exactly it; other commands still refuse the name', async ({ makeWorld }) => {
    const world = await makeWorld()
    const store = createFileStore({ dir: join(world.env.XDG_DATA_HOME!, 'oauth-cli') })
    for (const profile of [...NAMES, 'work']) await store.set(sandboxCredential({ provider: 'acme', profile }))
    const status = await world.cli(['status'])
    expectExit(status, 0)
    expect(status.stderr).toContain("remove it with: oauth-cli logout acme --local --profile 'two words'")
    expect(status.stderr).toContain("remove it with: oauth-cli logout acme --local --profile $'evil\\x1b]0;pwned\\x07'")
    expect(status.stderr).not.toContain('\u001b')
    expect(status.stdout).not.toContain('\u001b')
    expectExit(await world.cli(['token', 'acme', '--profile', 'two words']), 2)
    for (const profile of NAMES) {
      const run = await world.cli(['logout', 'acme', '--local', '--profile', profile])
      expectExit(run, 0)
      expect(run.stderr).not.toContain('\u001b')
    }
    expect((await statusJson(world)).map((row) => row.profile)).toEqual(['work'])
    // A name nothing is stored under is nothing to log out (exit 3), said without its raw escapes.
    const again = await world.cli(['logout', 'acme', '--local', '--profile', NAMES[1]!])
    expectExit(again, 3)
    expect(again.stderr).not.toContain('\u001b')
  })
})
