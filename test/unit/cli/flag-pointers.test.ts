/** The one table of options the tool spells differently or refuses: what a user typing them is told (exit 2). */
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../src/cli/errors'
import { runCli } from '../../../src/cli/program'
import { makeTestDeps } from '../../fakes'

async function usageErrorOf(argv: string[]): Promise<UsageError> {
  const error = await runCli(argv, makeTestDeps(), { call: async () => 0, login: async () => 0 }).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(UsageError)
  expect((error as UsageError).exitCode).toBe(2)
  return error as UsageError
}

describe('options brought from curl and other tools', () => {
  it.each([
    [['call', 'acme', '/x', '-v'], "unknown option '-v'", /did you mean "--verbose"\?/],
    [['call', 'acme', '/x', '-Lf'], '-L (follow redirects) is refused: credentials never follow a redirect to another place', /add -i to see its Location/],
    [['call', 'acme', '/x', '--location'], '-L (follow redirects) is refused: credentials never follow a redirect to another place', /add -i/],
    [['call', 'acme', '/x', '-G'], "unknown option '-G'", /-q name=value .*there is no -G/],
    [['call', 'acme', '/x', '--data-binary', '@f'], "unknown option '--data-binary'", /use -d \(text, @file/],
    [['call', 'acme', '/x', '-k'], "unknown option '-k'", /--cacert <file>/],
    [['call', 'acme', '/x', '-I'], "unknown option '-I'", /-i \(with -X HEAD for no body\)/],
    [['call', 'acme', '/x', '-A', 'me/1'], "unknown option '-A'", /-H 'User-Agent: …'/],
  ])('%j: %s', async (argv, message, hint) => {
    const error = await usageErrorOf(argv)
    expect(error.message).toBe(message)
    expect(error.hint).toMatch(hint)
    expect(error.hint).toMatch(/\nrun: oauth-cli call --help$/)
  })

  it.each([
    [['login', 'my-app', '--client-secret', 's3cr3t-value'], /--client-secret-stdin .*oauth-cli login my-app --client-secret-stdin.*MY_APP_CLIENT_SECRET/],
    [['login', 'acme', '--token=s3cr3t-value'], /oauth-cli login acme --with-token.*OAUTH_CLI_ACME_TOKEN/],
    [['login', 'acme', '--password=s3cr3t-value'], /PGPASSWORD or ~\/\.pgpass/],
    [['call', 'acme', '/x', '-us3cr3t-value'], /-H 'Authorization: …'/],
    [['login', '--passphrase', 's3cr3t-value'], /OAUTH_CLI_PASSPHRASE/],
  ])('%j points at the way that keeps the secret out of argv, and never repeats it', async (argv, hint) => {
    const error = await usageErrorOf(argv)
    expect(error.hint).toMatch(hint)
    expect(`${error.message}\n${error.hint}`).not.toContain('s3cr3t-value')
  })

  it('-v with no command is read as the version node -v and npm -v print, pointing at -V', async () => {
    const error = await usageErrorOf(['-v'])
    expect(error.message).toBe("unknown option '-v'")
    expect(error.hint).toBe('did you mean "--version" (-V)? (for the HTTP trace: --verbose)\nrun: oauth-cli --help')
    expect((await usageErrorOf(['-v', 'status'])).hint).toMatch(/^did you mean "--verbose"\?/)
  })

  it('names <provider> when argv names none', async () => {
    const error = await usageErrorOf(['login', '--refresh-token', 'x'])
    expect(error.hint).toMatch(/comes from oauth-cli login <provider>;/)
  })
})
