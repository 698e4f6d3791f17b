import { describe, expect, it } from 'vitest'
import { isVersionRequest, parseCallFastPath, parseListingFastPath, parseTokenFastPath } from '../../../src/cli/fast-path'
import type { TokenOptions } from '../../../src/cli/commands/token'
import { runCli } from '../../../src/cli/program'
import { makeTestDeps } from '../../fakes'

/** What the full commander tree hands to the token runner for the same argv. */
async function viaCommander(argv: string[]): Promise<TokenOptions | undefined> {
  let seen: TokenOptions | undefined
  await runCli(argv, makeTestDeps(), {
    token: async (opts) => {
      seen = opts
      return 0
    },
  }).catch(() => undefined)
  return seen
}

describe('the token fast path', () => {
  it.each([
    [['token', 'livechat']],
    [['token', 'acme', '--profile', 'work']],
    [['--profile', 'work', 'token', 'acme']],
    [['token', 'acme', '--store', 'file', '--config', '/tmp/c.json']],
    [['--store', 'keychain', 'token', 'acme', '--min-ttl', '600']],
    [['token', 'acme', '--verbose', '--no-color', '--json']],
    [['token', 'acme', '--request-timeout', '5', '--cacert', '/etc/ca.pem']],
  ])('parses %j exactly as commander does', async (argv) => {
    const fast = parseTokenFastPath(argv)
    const full = await viaCommander(argv)
    expect(full).toBeDefined()
    expect({ ...fast, profile: fast?.profile ?? 'default' }).toEqual(full)
  })

  it.each([
    [['token']],
    [['token', 'acme', 'extra']],
    [['token', 'acme', '--help']],
    [['token', 'acme', '--bogus']],
    [['token', 'acme', '--profile', 'bad profile']],
    [['token', 'acme', '--store', 'cloud']],
    [['token', 'acme', '--min-ttl', '0']],
    [['token', 'acme', '--profile=work']],
    [['--min-ttl', '5', 'token', 'acme']],
    [['call', 'acme', '/x']],
    [['token', '--profile']],
    [[]],
  ])('leaves %j to commander, which explains what is wrong', (argv) => {
    expect(parseTokenFastPath(argv)).toBeUndefined()
  })

  it('recognises only a bare --version', () => {
    expect(isVersionRequest(['--version'])).toBe(true)
    expect(isVersionRequest(['--version', 'x'])).toBe(false)
    expect(isVersionRequest(['token', '--version'])).toBe(false)
  })
})

/** What the full commander tree hands to the status or providers runner for the same argv. */
async function listingViaCommander(argv: string[]): Promise<{ command: string; opts: Record<string, unknown> } | undefined> {
  let seen: { command: string; opts: Record<string, unknown> } | undefined
  await runCli(argv, makeTestDeps(), {
    status: async (opts) => {
      seen = { command: 'status', opts: { ...opts } }
      return 0
    },
    providers: async (opts) => {
      seen = { command: 'providers', opts: { ...opts } }
      return 0
    },
    profileList: async (opts) => {
      seen = { command: 'profile list', opts: { ...opts } }
      return 0
    },
  }).catch(() => undefined)
  return seen
}

describe('the status, providers and profile list fast path', () => {
  it.each([
    [['status']],
    [['status', '--json']],
    [['status', 'acme', '--profile', 'work']],
    [['--profile', 'work', 'status']],
    [['status', '--store', 'file', '--config', '/tmp/c.json', '--no-color']],
    [['--json', 'providers']],
    [['providers', '--config', '/tmp/c.json', '--request-timeout', '5']],
    [['providers', '--profile', 'w']],
  ])('parses %j exactly as commander does', async (argv) => {
    const fast = parseListingFastPath(argv)
    const full = await listingViaCommander(argv)
    expect(full).toBeDefined()
    const given = fast && 'profile' in fast.opts ? fast.opts.profile : undefined
    const profile = given ?? (fast?.command === 'providers' ? 'default' : undefined)
    expect({ command: fast?.command, opts: { ...fast?.opts, profile } }).toEqual(full)
  })

  it.each([
    [['profile']],
    [['profile', 'list']],
    [['profile', '--json']],
    [['profile', 'list', '--json', '--config', '/tmp/c.json']],
    [['--json', 'profile', 'list']],
    [['--store', 'file', 'profile', '--no-color']],
    [['profile', 'list', '--profile', 'w']],
  ])('parses %j exactly as commander does (profile list)', async (argv) => {
    const fast = parseListingFastPath(argv)
    const full = await listingViaCommander(argv)
    expect(full).toBeDefined()
    // As for providers, commander fills in a --profile that `profile list` does not read.
    const given = fast && 'profile' in fast.opts ? (fast.opts as { profile?: string }).profile : undefined
    expect({ command: fast?.command, opts: { ...fast?.opts, profile: given ?? 'default' } }).toEqual(full)
  })

  it.each([
    [['status', 'a', 'b']],
    [['status', '--bogus']],
    [['status', '--min-ttl', '5']],
    [['providers', 'extra']],
    [['providers', '--help']],
    [['status', '--store', 'cloud']],
    [['profile', '--json', 'list']],
    [['profile', 'list', 'extra']],
    [['profile', 'use', 'acme', 'work']],
    [['profile', 'lists']],
    [['profile', '--help']],
  ])('leaves %j to commander', (argv) => {
    expect(parseListingFastPath(argv)).toBeUndefined()
  })
})

/** What the full commander tree hands to the call runner for the same argv. */
async function callViaCommander(argv: string[]): Promise<Record<string, unknown> | undefined> {
  let seen: Record<string, unknown> | undefined
  await runCli(argv, makeTestDeps(), {
    call: async (opts) => {
      seen = { ...opts }
      return 0
    },
  }).catch(() => undefined)
  return seen
}

describe('the call fast path', () => {
  it.each([
    [['call', 'acme', '/x']],
    [['call', 'acme', '/x', '-X', 'POST', '-d', '{"a":1}', '-H', 'A: 1', '-H', 'B: 2']],
    [['call', 'acme', '/x', '--json', '{"a":1}', '-q', 'a=1', '--query', 'b=2', '-i']],
    [['--profile', 'work', 'call', 'acme', '/x', '--paginate', '--ndjson', '-o', 'out.json']],
    [['call', 'acme', 'https://api.acme.example/v1/x', '--store', 'file', '--config', '/tmp/c.json', '--no-color']],
    [['--json', 'call', 'acme', '/x', '--request-timeout', '5']],
  ])('parses %j exactly as commander does', async (argv) => {
    const fast = parseCallFastPath(argv)
    const full = await callViaCommander(argv)
    expect(full).toBeDefined()
    expect({ ...fast, profile: fast?.profile ?? 'default' }).toEqual(full)
  })

  // Every spelling commander takes for call's options, each compared with commander itself.
  it.each([
    [['call', 'acme', '/x', '--header=A: 1', '--header', 'B: 2', '-HC: 3']],
    [['call', 'acme', '/x', '-H=A: 1']],
    [['call', 'acme', '/x', '--method=POST', '--data={"a":1}']],
    [['call', 'acme', '/x', '-XPOST', '-d{"a":1}']],
    [['call', 'acme', '/x', '-X=POST']],
    [['call', 'acme', '/x', '--json={"a":1}']],
    [['call', 'acme', '/x', '-qa=1', '--query=b=2', '-q', 'c=3']],
    [['call', 'acme', '/x', '-oout.json', '-i']],
    [['call', 'acme', '/x', '--output=out.json']],
    [['call', 'acme', '/x', '-is']],
    [['call', 'acme', '/x', '-isf']],
    [['call', 'acme', '/x', '-iX', 'GET']],
    [['call', 'acme', '/x', '-iXGET']],
    [['call', 'acme', '/x', '-fiH', 'A: 1']],
    [['call', 'acme', '/x', '-H', '']],
    [['call', 'acme', '/x', '--data=']],
    [['call', 'acme', '/x', '-X', 'GET', '-X', 'PUT']],
    [['call', '-i', 'acme', '-X', 'PUT', '/x']],
    [['call', 'acme', '--', '/x']],
    [['call', '--', 'acme', '/x']],
    [['call', 'acme', '/x', '--profile=work', '--store=file', '--config=/tmp/c.json']],
    [['--profile=home', '--store=keychain', '--config=/tmp/c.json', 'call', 'acme', '/x']],
    [['--profile=home', 'call', 'acme', '/x', '--profile', 'work']],
    [['call', 'acme', '/x', '--request-timeout=5', '--cacert=/etc/ca.pem', '--no-color']],
    [['--request-timeout=5', '--json', 'call', 'acme', '/x']],
    [['call', 'acme', '/x', '--paginate', '--ndjson', '--fail', '--silent', '--include']],
  ])('parses %j exactly as commander does', async (argv) => {
    const fast = parseCallFastPath(argv)
    const full = await callViaCommander(argv)
    expect(full).toBeDefined()
    expect(fast).toBeDefined()
    expect({ ...fast, profile: fast?.profile ?? 'default' }).toEqual(full)
  })

  it.each([
    [['call', 'acme']],
    [['call', 'acme', '/x', 'extra']],
    [['call', 'acme', '/x', '--', 'extra']],
    [['call', 'acme', '/x', '--min-ttl', '5']],
    [['call', 'acme', '/x', '-d']],
    [['call', 'acme', '/x', '--header']],
    [['call', 'acme', '/x', '--include=yes']],
    [['call', 'acme', '/x', '--bogus=1']],
    [['call', 'acme', '/x', '-iZ']],
    [['call', 'acme', '/x', '-ih']],
    [['call', 'acme', '/x', '-h']],
    [['call', 'acme', '/x', '--profile=bad profile']],
    [['call', 'acme', '/x', '--store=cloud']],
    [['call', 'acme', '/x', '--request-timeout=0']],
    [['--request-timeout=soon', 'call', 'acme', '/x']],
    [['--paginate', 'call', 'acme', '/x']],
  ])('leaves %j to commander, which explains what is wrong', async (argv) => {
    expect(parseCallFastPath(argv)).toBeUndefined()
    expect(await callViaCommander(argv)).toBeUndefined()
  })

  it.each([
    [['call', 'acme', '/x', '-H', '--verbose']],
    [['call', 'acme', '/x', '-d', '-']],
    [['call', 'acme', '/x', '--data=--cacert']],
    // commander reads the arguments after a leading -- again as the command's: rare enough to leave to it.
    [['--', 'call', 'acme', '/x']],
  ])('leaves %j to commander, which accepts it (a value starting with "-" could be misread by the global-flag scan)', (argv) => {
    expect(parseCallFastPath(argv)).toBeUndefined()
  })
})
