/**
 * A secret typed as a flag SPEC deliberately does not have (`login acme
 * --client-secret …`, `--token …`, `--password=…`): the value is already in
 * argv, so the least the tool owes is to never repeat it, and to name the way
 * SPEC gives (--client-secret-stdin, <PROVIDER>_CLIENT_SECRET, --with-token,
 * OAUTH_CLI_<P>_TOKEN, PGPASSWORD, OAUTH_CLI_PASSPHRASE), instead of a bare
 * "unknown option". Runs the built CLI.
 */
import { describe, expect, it } from 'vitest'
import { securityHomes } from './support'

const home = securityHomes()
const VALUE = 'sEcReT-value-9z8y7x'

describe('a secret given as a command-line flag', { timeout: 60_000 }, () => {
  it.each([
    [['login', 'acme', '--client-secret', VALUE], /--client-secret-stdin/, /ACME_CLIENT_SECRET/],
    [['login', 'acme', `--client-secret=${VALUE}`], /--client-secret-stdin/, /ACME_CLIENT_SECRET/],
    [['login', 'my-idp.dev', '--secret', VALUE], /--client-secret-stdin/, /MY_IDP_DEV_CLIENT_SECRET/],
    [['login', 'acme', '--token', VALUE], /oauth-cli login acme --with-token/, /OAUTH_CLI_ACME_TOKEN/],
    [['call', 'acme', '/me', `--token=${VALUE}`], /--with-token/, /OAUTH_CLI_ACME_TOKEN/],
    [['token', 'acme', '--access-token', VALUE], /--with-token/, /OAUTH_CLI_ACME_TOKEN/],
    [['login', 'livechat', `--pat=${VALUE}`], /oauth-cli login livechat --with-token/, /OAUTH_CLI_LIVECHAT_TOKEN/],
    [['status', `--password=${VALUE}`], /--with-token/, /PGPASSWORD/],
    [['login', 'acme', '--refresh-token', VALUE], /oauth-cli export/, /oauth-cli import/],
    [['status', `--passphrase=${VALUE}`], /OAUTH_CLI_PASSPHRASE/, /encryption/],
  ])('%j is refused (exit 2), pointing to the way SPEC gives, and never repeats the value', async (args, way, alternative) => {
    const run = await home().cli(args)
    expect(run.exitCode, run.stderr).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/unknown option '--[\w-]+'/)
    expect(run.stderr).toMatch(/visible to other processes/)
    expect(run.stderr).toMatch(way)
    expect(run.stderr).toMatch(alternative)
    expect(run.stderr).not.toContain(VALUE)
    expect(run.stderr).not.toContain('sEcReT')
  })

  it('never repeats the value of any other unknown option given as --name=value', async () => {
    const run = await home().cli(['token', 'acme', `--cookie=${VALUE}`])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain("unknown option '--cookie'")
    expect(run.stderr).not.toContain('sEcReT')
  })
})
