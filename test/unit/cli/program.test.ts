import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../src/cli/errors'
import { runCli, type Runners } from '../../../src/cli/program'
import { makeTestDeps } from '../../fakes'

function spyRunners() {
  const calls: Array<{ command: string; opts: Record<string, unknown> }> = []
  const record = (command: string) => async (opts: object) => {
    calls.push({ command, opts: opts as Record<string, unknown> })
    return 0 as const
  }
  const runners: Partial<Runners> = {
    login: record('login'), call: record('call'), token: record('token'), refresh: record('refresh'),
    status: record('status'), logout: record('logout'), providers: record('providers'),
  }
  return { runners, calls }
}

describe('runCli parsing', () => {
  it('turns login flags into typed options with SPEC defaults', async () => {
    const { runners, calls } = spyRunners()
    expect(await runCli(['login', 'livechat'], makeTestDeps(), runners)).toBe(0)
    expect(calls[0]).toEqual({
      command: 'login',
      opts: expect.objectContaining({
        provider: 'livechat', profile: 'default', store: 'auto', json: false, browser: true,
        timeoutSeconds: 300, withToken: false, device: false, oauth: false, clientSecretStdin: false,
      }),
    })
  })

  it('accepts common options before and after the command; after wins', async () => {
    const { runners, calls } = spyRunners()
    await runCli(['--profile', 'a', '--store', 'file', 'token', 'acme', '--profile', 'b'], makeTestDeps(), runners)
    expect(calls[0]!.opts).toMatchObject({ provider: 'acme', profile: 'b', store: 'file' })
  })

  it('parses login options', async () => {
    const { runners, calls } = spyRunners()
    await runCli(
      ['login', 'acme', '--scope', 'a', 'b', '--port', '8085', '--no-browser', '--timeout', '5', '--client-id', 'cid', '--json'],
      makeTestDeps(),
      runners,
    )
    expect(calls[0]!.opts).toMatchObject({ scope: ['a', 'b'], port: 8085, browser: false, timeoutSeconds: 5, clientId: 'cid', json: true })
  })

  it('gives call its own --json body option and repeatable -H and -q', async () => {
    const { runners, calls } = spyRunners()
    await runCli(
      ['call', 'acme', '/x', '--json', '{"a":1}', '-H', 'A: 1', '-H', 'B: 2', '-q', 'k=v', '-X', 'PATCH', '-i'],
      makeTestDeps(),
      runners,
    )
    expect(calls[0]!.opts).toMatchObject({
      provider: 'acme', target: '/x', jsonBody: '{"a":1}', headers: ['A: 1', 'B: 2'], query: ['k=v'], method: 'PATCH', include: true, json: false,
    })
  })

  it.each([
    [['login'], /missing required argument 'provider'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['token', 'acme', '--bogus'], /unknown option '--bogus'/],
    [['login', 'acme', '--port', 'abc'], /port number/],
    [['login', 'acme', '--timeout', '0'], /whole number of seconds/],
    [['status', '--store', 'cloud'], /argument 'cloud' is invalid: expected keychain, file, or a postgres:\/\/ or postgresql:\/\/ URL/],
    [['token', 'acme', '--profile', 'bad profile'], /letters, digits/],
  ])('rejects %j with a usage error (exit 2)', async (argv, message) => {
    const { runners } = spyRunners()
    const error = await runCli(argv, makeTestDeps(), runners).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).exitCode).toBe(2)
    expect((error as Error).message).toMatch(message)
  })

  it.each([
    [['login', 'acme', '--timeout', 'abc'], "option '--timeout <seconds>' argument 'abc' is invalid: expected a whole number of seconds from 1 to 2147483"],
    [['profile', 'list', 'x'], "too many arguments for 'list': expected 0 arguments but got 1"],
    [['completion', 'powershell'], "command-argument value 'powershell' is invalid for argument 'shell': allowed choices are bash, zsh, fish"],
  ])('%j: commander\'s message in the house style (lower-case, no trailing period)', async (argv, message) => {
    const error = await runCli(argv, makeTestDeps(), spyRunners().runners).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toBe(message)
  })

  it('suggests the closest command on a typo', async () => {
    const error = await runCli(['tokn', 'acme'], makeTestDeps(), spyRunners().runners).catch((e: unknown) => e)
    expect((error as UsageError).hint).toMatch(/^did you mean "token"\?$/m)
  })

  it.each([
    [['version']],
    [['--no-color', 'version']],
    [['--verbose', '--profile', 'work', 'version']],
    [['--store', 'file', 'version', '--no-color']],
    [['--no-color', '--version']],
    [['--json', '-V']],
  ])('%j prints the version on stdout, as --version does, and exits 0', async (argv) => {
    const deps = makeTestDeps()
    expect(await runCli(argv, deps, spyRunners().runners)).toBe(0)
    expect(deps.io.stdoutText).toBe('oauth-cli 0.0.0-test\n')
    expect(deps.io.stderrText).toBe('')
  })

  it('gives version its own help, like every other command', async () => {
    for (const argv of [['version', '--help'], ['help', 'version']]) {
      const deps = makeTestDeps()
      expect(await runCli(argv, deps, spyRunners().runners)).toBe(0)
      expect(deps.io.stdoutText).toMatch(/^Usage: oauth-cli version \[options\]\n\nprint the version/)
    }
  })

  it('prints help with examples to stdout and exits 0', async () => {
    const deps = makeTestDeps()
    expect(await runCli(['--help'], deps, spyRunners().runners)).toBe(0)
    expect(deps.io.stdoutText).toMatch(/Examples:/)
    expect(deps.io.stdoutText).toMatch(/login/)
  })

  it.each([['login'], ['call'], ['token'], ['refresh'], ['status'], ['logout'], ['providers']])(
    'gives %s --help with examples',
    async (command) => {
      const deps = makeTestDeps()
      expect(await runCli([command, '--help'], deps, spyRunners().runners)).toBe(0)
      expect(deps.io.stdoutText).toMatch(/Examples:\n  (oauth-cli|TOKEN=|LIVECHAT|printf)/)
    },
  )
})
