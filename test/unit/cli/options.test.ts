import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../src/cli/errors'
import { buildProgram, commandWord, runCli } from '../../../src/cli/program'
import {
  attributeName,
  COMMON_FLAGS,
  JSON_FLAG,
  OptionValueError,
  parsePort,
  parseProfileName,
  parseSeconds,
  parseWaitSeconds,
  readValue,
  scanGlobalFlags,
  TOKEN_FLAGS,
} from '../../../src/cli/options'
import * as options from '../../../src/cli/options'
import { makeTestDeps } from '../../fakes'

describe('longName', () => {
  const rows = Object.entries(options)
    .filter(([name]) => name.endsWith('_FLAGS') || name === 'JSON_FLAG')
    .flatMap(([, table]) => Object.values(table as Record<string, options.Flag>))

  it('is the --name of every row of the table, as its flags spell it', () => {
    expect(rows.length).toBeGreaterThan(30)
    for (const row of rows) expect(options.longName(row), row.flags).toBe(/--[\w-]+/.exec(row.flags)?.[0])
  })
})

describe('the value rules', () => {
  it.each([
    ['port', parsePort, '0', 0],
    ['port', parsePort, '65535', 65535],
    ['seconds', parseSeconds, '1', 1],
    ['seconds', parseSeconds, '300', 300],
    ['wait', parseWaitSeconds, '2147483', 2147483],
    ['profile', parseProfileName, 'work.eu_1-b', 'work.eu_1-b'],
  ] as const)('accept a good %s value %j', (_rule, parse, text, value) => {
    expect((parse as (v: string) => unknown)(text)).toBe(value)
  })

  it.each([
    ['port', parsePort, '65536', /port number from 0 to 65535/],
    ['port', parsePort, '-1', /port number/],
    ['port', parsePort, '8o', /port number/],
    ['seconds', parseSeconds, '0', /at least 1/],
    ['seconds', parseSeconds, '1.5', /whole number/],
    ['wait', parseWaitSeconds, '2147484', /from 1 to 2147483/],
    ['wait', parseWaitSeconds, '0', /from 1 to 2147483/],
    ['profile', parseProfileName, 'bad profile', /letters, digits/],
    ['profile', parseProfileName, '.hidden', /letters, digits/],
    ['profile', parseProfileName, 'x'.repeat(65), /at most 64/],
  ] as const)('refuse a bad %s value %j, saying what is expected', (_rule, parse, text, message) => {
    expect(() => (parse as (v: string) => unknown)(text)).toThrow(OptionValueError)
    expect(() => (parse as (v: string) => unknown)(text)).toThrow(message)
  })

  it('checks --store as commander does: keychain, file, or a shared store URL', () => {
    expect(readValue(COMMON_FLAGS.store, 'file')).toBe('file')
    expect(readValue(COMMON_FLAGS.store, 'postgresql://ci@db/oauth')).toBe('postgresql://ci@db/oauth')
    expect(() => readValue(COMMON_FLAGS.store, 'cloud')).toThrow('expected keychain, file, or a postgres:// or postgresql:// URL')
  })

  it('names each row after the attribute commander stores it under', () => {
    expect(attributeName(COMMON_FLAGS.noColor)).toBe('color')
    expect(attributeName(COMMON_FLAGS.requestTimeoutSeconds)).toBe('requestTimeout')
    expect(attributeName(TOKEN_FLAGS.minTtlSeconds)).toBe('minTtl')
  })
})

describe('scanGlobalFlags', () => {
  it.each([
    [[], { verbose: false, noColor: false }],
    [['--verbose', 'status', '--no-color'], { verbose: true, noColor: true }],
    [['token', 'x', '--request-timeout', '5', '--cacert', '/ca.pem'], { verbose: false, noColor: false, requestTimeoutSeconds: 5, cacert: '/ca.pem' }],
    [['--request-timeout=7', 'status', '--request-timeout', '9'], { verbose: false, noColor: false, requestTimeoutSeconds: 9 }],
    [['--request-timeout', '0', 'status'], { verbose: false, noColor: false }],
    [['--request-timeout', 'soon', 'status'], { verbose: false, noColor: false }],
    [['call', 'x', '/y', '--', '--verbose'], { verbose: false, noColor: false }],
    // A word an option takes as its value is that value, never a flag (commander reads it so).
    [['call', 'x', '/y', '-d', '--verbose'], { verbose: false, noColor: false }],
    [['call', 'x', '/y', '--data', '--no-color'], { verbose: false, noColor: false }],
    [['call', 'x', '/y', '--json', '--verbose'], { verbose: false, noColor: false }],
    [['call', 'x', '/y', '-id', '--verbose'], { verbose: false, noColor: false }],
    [['call', 'x', '/y', '-d--verbose', '--no-color'], { verbose: false, noColor: true }],
    [['call', 'x', '/y', '-d', '--request-timeout', '--request-timeout', '7'], { verbose: false, noColor: false, requestTimeoutSeconds: 7 }],
    [['--profile=--verbose', 'status'], { verbose: false, noColor: false }],
    [['--profile', 'call', 'status', '--json', '--verbose'], { verbose: true, noColor: false }],
    // Outside call, --json is the switch: what follows it is read as flags.
    [['status', '--json', '--verbose'], { verbose: true, noColor: false }],
    // A row that refuses an option-like value (MissingValueError) leaves it the option it looks like.
    [['call', 'x', '/y', '-H', '--verbose'], { verbose: true, noColor: false }],
    [['--store', 'postgres://ci:pw@db/oauth', 'status'], { verbose: false, noColor: false, storePasswordInArgv: true }],
    [['status', '--store=postgresql://db/oauth?password=pw'], { verbose: false, noColor: false, storePasswordInArgv: true }],
    [['status', '--store', 'postgres://ci@db/oauth'], { verbose: false, noColor: false }],
  ])('reads %j as %j', (argv, flags) => {
    expect(scanGlobalFlags(argv)).toEqual(flags)
  })

  it('knows every value-taking option of every command as commander declares it', async () => {
    const all = await buildProgram(makeTestDeps(), {}, () => {}, ['--help'])
    const commands = all.commands.flatMap((c) => [c, ...c.commands.map((sub) => Object.assign(sub, { top: c.name() }))])
    for (const command of commands) {
      const name = (command as { top?: string }).top ?? command.name()
      for (const option of command.options) {
        const takes = option.required || option.optional
        for (const spelled of [option.long, option.short].filter((x): x is string => x !== undefined)) {
          const row = options.rowFor(name, spelled)
          expect(row, `${name} ${spelled}`).toBeDefined()
          expect(options.takesValue(row![1]), `${name} ${spelled}`).toBe(takes)
        }
      }
    }
  })
})

describe('commandWord', () => {
  it.each([
    [['token', 'acme'], 'token'],
    [['--profile', 'token', 'status'], 'status'],
    [['--profile=w', '--store', 'file', '--json', 'login', 'x'], 'login'],
    [['--verbose', '--cacert', 'ca.pem', 'call', 'x', '/'], 'call'],
    [['--help'], undefined],
    [['--bogus', 'token'], undefined],
    [['--profile'], undefined],
    [[], undefined],
  ])('finds the command of %j: %j', (argv, word) => {
    expect(commandWord(argv)).toBe(word)
  })
})

describe('one table for commander and the fast path', () => {
  it('declares on `token` exactly the rows the fast path reads', async () => {
    const program = await buildProgram(makeTestDeps(), {}, () => {}, ['token', 'x'])
    const token = program.commands.find((c) => c.name() === 'token')
    const rows = Object.values({ ...COMMON_FLAGS, ...JSON_FLAG, ...TOKEN_FLAGS })
    expect(token?.options.map((o) => o.flags)).toEqual(rows.map((r) => r.flags))
    expect(program.options.map((o) => o.flags).filter((f) => f !== '-V, --version')).toEqual(
      Object.values({ ...COMMON_FLAGS, ...JSON_FLAG }).map((r) => r.flags),
    )
  })

  it('loads only the command argv names, and every command for help', async () => {
    const one = await buildProgram(makeTestDeps(), {}, () => {}, ['--profile', 'w', 'token', 'x'])
    expect(one.commands.map((c) => c.name())).toEqual(['token'])
    const all = await buildProgram(makeTestDeps(), {}, () => {}, ['--help'])
    expect(all.commands.map((c) => c.name())).toEqual([
      'login', 'call', 'token', 'refresh', 'status', 'logout', 'providers', 'doctor', 'completion',
      'authorize', 'export', 'import', 'profile', 'sandbox', 'demo', 'version', '__complete',
    ])
  })
})

describe('a value-taking option followed by another option (an empty variable in a script)', () => {
  async function parse(argv: string[]) {
    const calls: Array<Record<string, unknown>> = []
    const record = async (opts: object) => {
      calls.push(opts as Record<string, unknown>)
      return 0 as const
    }
    const runners = { login: record, call: record, token: record, status: record, logout: record }
    const error = await runCli(argv, makeTestDeps(), runners).then(
      () => undefined,
      (e: unknown) => e,
    )
    return { calls, error }
  }

  it.each([
    [['login', 'livechat', '--scope', '--profile', 'work'], "option '--scope <scope...>' argument missing"],
    [['login', 'livechat', '--scope', '--json'], "option '--scope <scope...>' argument missing"],
    [['login', 'acme', '--client-id', '--force'], "option '--client-id <id>' argument missing"],
    [['token', 'acme', '--profile', '--json'], "option '--profile <name>' argument missing"],
    [['call', 'acme', '/x', '-o', '--fail'], "option '-o, --output <file>' argument missing"],
    [['call', 'acme', '/x', '-H', '--verbose'], "option '-H, --header <header>' argument missing"],
    [['status', '--store', '--json'], "option '--store <store>' argument missing"],
  ])('%j is refused (exit 2) and runs nothing', async (argv, message) => {
    const { calls, error } = await parse(argv)
    expect(calls).toEqual([])
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).exitCode).toBe(2)
    expect((error as Error).message).toContain(message)
    expect((error as Error).message).toContain(`'${argv.at(-1) === 'work' ? '--profile' : argv.at(-1)}'`)
  })

  it('names only the option it took for a value, never what is glued to it (it may be a secret)', async () => {
    const { error } = await parse(['call', 'acme', '/x', '-o', '-uuser:hunter2'])
    expect((error as Error).message).toContain("'-u'")
    expect((error as Error).message).not.toContain('hunter2')
  })

  it.each([
    [['call', 'acme', '/x', '-d', '-1'], { data: '-1' }],
    [['call', 'acme', '/x', '-d', '-----BEGIN CERTIFICATE-----'], { data: '-----BEGIN CERTIFICATE-----' }],
    [['call', 'acme', '/x', '--json', '-2.5'], { jsonBody: '-2.5' }],
    [['call', 'acme', '/x', '-d', '--boundary'], { data: '--boundary' }],
    [['call', 'acme', '/x', '-o', '-'], { output: '-' }],
    [['call', 'acme', '/x', '-q', 'sort=-created'], { query: ['sort=-created'] }],
    [['login', 'acme', '--scope', 'a', 'b', '--profile', 'w'], { scope: ['a', 'b'], profile: 'w' }],
  ])('%j keeps its value: a body may begin with "-", and "-" alone is stdout', async (argv, opts) => {
    const { calls, error } = await parse(argv)
    expect(error).toBeUndefined()
    expect(calls[0]).toMatchObject(opts)
  })

  it('is not read by the global-flag scan either', () => {
    expect(scanGlobalFlags(['--cacert', '--verbose', 'status'])).toEqual({ verbose: true, noColor: false })
  })
})
