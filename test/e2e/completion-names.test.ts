/**
 * Shell completion offers stored profile names. One stored under a name the
 * CLI refuses (imported before `import` checked names: a space, or a
 * terminal's escape sequence) is never offered: `--profile` would refuse it,
 * and its raw bytes would reach the user's terminal through the shell.
 */
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { createFileStore } from '../../src/store/file-store'
import { sandboxCredential } from '../security/support'
import { expectExit, it, SUITE } from './world'

describe('completion of --profile', SUITE, () => {
  it('offers the stored profiles the CLI accepts, and skips names with control characters or spaces', async ({ makeWorld }) => {
    const world = await makeWorld()
    const store = createFileStore({ dir: join(world.env.XDG_DATA_HOME!, 'oauth-cli') })
    for (const profile of ['work', 'evil\u001b]0;pwned\u0007', 'two words', 'line\nbreak']) {
      await store.set(sandboxCredential({ provider: 'acme', profile }))
    }
    const run = await world.cli(['__complete', '--', 'token', 'acme', '--profile', ''])
    expectExit(run, 0)
    expect(run.stdout.split('\n').filter(Boolean).sort()).toEqual(['work'])
  })
})
