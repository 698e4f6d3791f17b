/**
 * Attack and accident (bug hunt, session 5): every provider command reads `.env`
 * from the working directory, unasked. It was read whatever it was: a Python
 * virtualenv called `.env` (a directory) made `token` exit 2, a FIFO hung it, a
 * link to /dev/zero filled memory, and one planted by another user in a shared
 * directory set the client id and secret a login sent. Only a regular file the
 * user (or root) owns and nobody else can write is read; anything else is left
 * unread, said once on stderr with what to do, and the command goes on.
 *
 * Tests run as root, which bypasses permission checks but not our own mode and
 * owner checks; "another user" is uid 65534.
 */
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { spawnCli } from '../support/run-cli'
import { sandboxCredential, securityHomes, type SecurityHome } from './support'

const OTHER_UID = 65534
const newHome = securityHomes()

/** A home whose stored sandbox token is fresh: `token sandbox` needs nothing from `.env`. */
async function homeWithToken(): Promise<SecurityHome> {
  const home = newHome()
  await home.plant(sandboxCredential())
  return home
}

/** A configured provider whose client id can only come from the environment or `.env`. */
function homeWithAcme(dotenv: string): { home: SecurityHome; dotenvPath: string } {
  const home = newHome()
  home.writeConfig({
    providers: {
      acme: {
        authorization_endpoint: 'https://auth.example.com/authorize',
        token_endpoint: 'https://auth.example.com/token',
        api_base_url: 'https://api.example.com',
        redirect_uri: 'http://127.0.0.1:0/callback',
      },
    },
  })
  const dotenvPath = join(home.home, '.env')
  writeFileSync(dotenvPath, dotenv, { mode: 0o600 })
  return { home, dotenvPath }
}

describe.skipIf(process.platform === 'win32')('a .env in the working directory that is not the user\'s file', () => {
  it('a directory called .env (a Python virtualenv) is no .env at all: token answers, nothing said', async () => {
    const home = await homeWithToken()
    mkdirSync(join(home.home, '.env', 'bin'), { recursive: true })
    const run = await home.cli(['token', 'sandbox'])
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toBe('at-planted-0123456789\n')
  })

  it('a FIFO called .env is left unread instead of hanging token', async () => {
    const home = await homeWithToken()
    execFileSync('mkfifo', [join(home.home, '.env')])
    const run = await home.cli(['token', 'sandbox'], {}, 15_000)
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toBe('at-planted-0123456789\n')
    expect(run.stderr).toBe(`oauth-cli: ignoring ${join(home.home, '.env')}: it is not a regular file; remove it, or make ${join(home.home, '.env')} a file\n`)
  })

  it('a .env that leads to /dev/zero is left unread instead of filling memory', async () => {
    const home = await homeWithToken()
    symlinkSync('/dev/zero', join(home.home, '.env'))
    const run = await home.cli(['token', 'sandbox'], {}, 15_000)
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toBe('at-planted-0123456789\n')
    expect(run.stderr).toContain('it is not a regular file')
  })

  it("another user's .env sets no client id: the login says none is set, and why the file was ignored", async () => {
    const { home, dotenvPath } = homeWithAcme('ACME_CLIENT_ID=planted-client-id\n')
    chownSync(dotenvPath, OTHER_UID, OTHER_UID)
    const run = await home.cli(['login', 'acme', '--no-browser'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).not.toContain('planted-client-id')
    expect(run.stderr).toContain(`ignoring ${dotenvPath}: it is owned by uid ${OTHER_UID}`)
    expect(run.stderr).toContain('no client id for acme')
  })

  it('a .env another group can write sets no client id', async () => {
    const { home, dotenvPath } = homeWithAcme('ACME_CLIENT_ID=planted-client-id\n')
    chownSync(dotenvPath, 0, OTHER_UID)
    chmodSync(dotenvPath, 0o664)
    const run = await home.cli(['login', 'acme', '--no-browser'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`ignoring ${dotenvPath}: it is writable by its group (mode 664); chmod go-w ${dotenvPath}`)
  })

  it("the user's own .env still sets the client id the login sends", async () => {
    const { home } = homeWithAcme('ACME_CLIENT_ID=own-client-id\n')
    const login = spawnCli(['login', 'acme', '--no-browser'], { env: home.env })
    try {
      await login.waitForStderr(/client_id=own-client-id/, 15_000)
      expect(login.stderr()).not.toContain('ignoring')
    } finally {
      await login.stop()
    }
  })
})
