import { describe, expect, it } from 'vitest'
import { buildProgram, commandWord } from '../../../src/cli/program'
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
  ])('reads %j as %j', (argv, flags) => {
    expect(scanGlobalFlags(argv)).toEqual(flags)
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
