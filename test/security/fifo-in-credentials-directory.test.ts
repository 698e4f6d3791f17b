/**
 * Accident or attack (bug hunt, session 5): a FIFO in place of a credential
 * file hung `token`, `call`, `status` and `logout --local` for ever, since the
 * open of a FIFO for reading waits for a writer. It is refused at once, as a
 * symbolic link there is: the message says what sits there and how to fix it
 * (remove it), and every command ends.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { securityHomes } from './support'

const newHome = securityHomes()

describe.skipIf(process.platform === 'win32')('a FIFO in place of a credential file', () => {
  it('token ends (exit 2) saying the file is a FIFO and to remove it; status still lists the rest and says the same once', async () => {
    const home = newHome()
    mkdirSync(home.credentialsDir, { recursive: true, mode: 0o700 })
    const fifo = home.fileOf('sandbox')
    execFileSync('mkfifo', ['-m', '600', fifo])
    const token = await home.cli(['token', 'sandbox'], {}, 15_000)
    expect(token.exitCode, token.stderr).toBe(2)
    expect(token.stdout).toBe('')
    expect(token.stderr).toContain(`${fifo} is a FIFO, not a credential file`)
    expect(token.stderr).toContain(`to fix it: remove it (rm ${fifo}) and log in again`)
    const status = await home.cli(['status', '--json'], {}, 15_000)
    expect(status.exitCode, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout)).toEqual([])
    expect(status.stderr).toContain(`${fifo} is a FIFO`)
    expect(status.stderr.split(`rm ${fifo}`)).toHaveLength(2)
    expect(status.stderr).not.toContain('inspect or remove')
  })

  it('a directory there is named as a directory, with rm -r', async () => {
    const home = newHome()
    const dir = home.fileOf('sandbox')
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const token = await home.cli(['token', 'sandbox'], {}, 15_000)
    expect(token.exitCode, token.stderr).toBe(2)
    expect(token.stderr).toContain(`${dir} is a directory, not a credential file`)
    expect(token.stderr).toContain(`rm -r ${dir}`)
  })
})
