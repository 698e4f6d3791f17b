/**
 * Accident or attack (bug hunt, session 5): a FIFO in place of a credential
 * file hung `token`, `call`, `status` and `logout --local` for ever, since the
 * open of a FIFO for reading waits for a writer. It is refused as not a
 * regular file, as a directory there is, and every command ends.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { securityHomes } from './support'

const newHome = securityHomes()

describe.skipIf(process.platform === 'win32')('a FIFO in place of a credential file', () => {
  it('token ends, naming the file that is not a regular file, and status still lists the rest', async () => {
    const home = newHome()
    mkdirSync(home.credentialsDir, { recursive: true, mode: 0o700 })
    execFileSync('mkfifo', ['-m', '600', home.fileOf('sandbox')])
    const token = await home.cli(['token', 'sandbox'], {}, 15_000)
    expect(token.exitCode, token.stderr).toBe(1)
    expect(token.stdout).toBe('')
    expect(token.stderr).toContain(`${home.fileOf('sandbox')}: it is not a regular file`)
    const status = await home.cli(['status', '--json'], {}, 15_000)
    expect(status.exitCode, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout)).toEqual([])
    expect(status.stderr).toContain(`inspect or remove ${home.fileOf('sandbox')}`)
  })
})
