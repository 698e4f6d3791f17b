import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import {
  buildCompletionTree,
  completeWords,
  completionScript,
  FILE_DIRECTIVE,
  liveLookups,
  type CompletionLookups,
} from '../../../src/cli/commands/completion'
import { UsageError } from '../../../src/cli/errors'
import { runCli } from '../../../src/cli/program'
import { makeTestDeps, MemoryStore } from '../../fakes'
import { ACME, stored } from '../session/helpers'

const run = promisify(execFile)

const lookups: CompletionLookups = {
  providers: async () => ['acme', 'livechat', 'livestorm', 'tidio'],
  profiles: async ({ provider }) => (provider === 'livechat' ? ['default', 'work'] : []),
}

describe('completeWords', async () => {
  const tree = await buildCompletionTree(makeTestDeps())

  it.each([
    [['lo'], ['login', 'logout']],
    [['login', ''], ['acme', 'livechat', 'livestorm', 'tidio']],
    [['call', 'li'], ['livechat', 'livestorm']],
    [['login', 'livechat', '--profile', ''], ['default', 'work']],
    [['--profile', 'x', 'token', 'livechat', '--profile', 'w'], ['work']],
    [['status', '--store', ''], ['keychain', 'file']],
    [['completion', ''], ['bash', 'zsh', 'fish']],
    [['call', 'livechat', '/x', '--pa'], ['--paginate']],
    [['login', 'acme', '--no-'], ['--no-color', '--no-browser']],
    [['call', 'livechat', ''], []],
    [['frobnicate', ''], []],
    [['__complete', ''], []],
    [['profile', ''], ['use', 'list']],
    [['profile', 'u'], ['use']],
    [['profile', 'use', ''], ['acme', 'livechat', 'livestorm', 'tidio']],
    [['profile', 'use', 'livechat', '--st'], ['--store']],
    [['profile', 'list', ''], []],
  ])('completes %j to %j', async (words, expected) => {
    expect(await completeWords(tree, words, lookups)).toEqual(expected)
  })

  it('offers every command but the hidden one at the start', async () => {
    const names = await completeWords(tree, [''], lookups)
    expect(names).toEqual(tree.commands.map((c) => c.name))
    expect(names).toEqual(expect.arrayContaining(['login', 'call', 'token', 'refresh', 'status', 'logout', 'providers', 'doctor', 'completion']))
    expect(names).not.toContain('__complete')
  })

  it('offers every flag of the command, taken from the commander tree', async () => {
    const flags = await completeWords(tree, ['call', 'acme', '/x', '--'], lookups)
    expect(flags).toEqual(expect.arrayContaining(['--method', '--header', '--data', '--json', '--query', '--include', '--paginate', '--ndjson', '--output', '--profile', '--store', '--help']))
    expect(flags).not.toContain('--device')
  })

  it.each([[['--config', '']], [['call', 'acme', '/x', '-o', '']], [['call', 'acme', '/x', '--output', 'ou']]])(
    'asks the shell for file names after %j',
    async (...words) => {
      expect(await completeWords(tree, words[0], lookups)).toEqual([FILE_DIRECTIVE])
    },
  )

  it('does not take an option value for a command', async () => {
    expect(await completeWords(tree, ['--profile', 'login', ''], lookups)).toEqual(tree.commands.map((c) => c.name))
  })
})

describe('live lookups', () => {
  it('lists built-in and configured providers, and the profiles stored for a provider', async () => {
    const store = new MemoryStore()
    await store.set(stored({ provider: 'livechat', profile: 'work' }))
    await store.set(stored({ provider: 'livechat', profile: 'default' }))
    await store.set(stored({ provider: 'acme', profile: 'other' }))
    const deps = makeTestDeps({
      store,
      readTextFile: async (path) => (path.endsWith('config.json') ? JSON.stringify({ providers: { acme: ACME } }) : undefined),
    })
    const live = liveLookups(deps)
    expect(await live.providers({})).toEqual(['livechat', 'livestorm', 'sandbox', 'tidio', 'acme'])
    expect((await live.profiles({ provider: 'livechat' })).sort()).toEqual(['default', 'work'])
  })

  it('falls back to the built-in providers when the config file is broken, and to no profiles without a store', async () => {
    const deps = makeTestDeps({
      readTextFile: async (path) => (path.endsWith('config.json') ? '{ broken' : undefined),
      openStore: async () => {
        throw new Error('no store here')
      },
    })
    const live = liveLookups(deps)
    expect(await live.providers({})).toEqual(['livechat', 'livestorm', 'sandbox', 'tidio'])
    expect(await live.profiles({ provider: 'livechat' })).toEqual([])
  })
})

describe('oauth-cli completion <shell>', () => {
  it.each(['bash', 'zsh', 'fish'] as const)('prints a %s script that asks __complete', async (shell) => {
    const deps = makeTestDeps()
    expect(await runCli(['completion', shell], deps)).toBe(0)
    expect(deps.io.stdoutText).toBe(completionScript(shell))
    expect(deps.io.stdoutText).toContain('oauth-cli __complete -- ')
    expect(deps.io.stderrText).toBe('')
  })

  it('refuses an unknown shell with the choices', async () => {
    const error = await runCli(['completion', 'tcsh'], makeTestDeps()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as Error).message).toMatch(/allowed choices are bash, zsh, fish$/)
  })

  it('answers the hidden __complete command with one candidate per line', async () => {
    const deps = makeTestDeps()
    expect(await runCli(['__complete', '--', 'completion', 'z'], deps)).toBe(0)
    expect(deps.io.stdoutText).toBe('zsh\n')
  })

  it('keeps __complete out of the help', async () => {
    const deps = makeTestDeps()
    await runCli(['--help'], deps)
    expect(deps.io.stdoutText).not.toContain('__complete')
    expect(deps.io.stdoutText).toContain('completion')
  })

  it.each([['completion'], ['doctor']])('gives %s --help with examples', async (command) => {
    const deps = makeTestDeps()
    expect(await runCli([command, '--help'], deps)).toBe(0)
    expect(deps.io.stdoutText).toMatch(/Examples:\n {2}(oauth-cli|source)/)
  })
})

describe('the bash script in bash', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  /** Sources the script with `oauth-cli` stubbed, completes `line`, prints the stub's argv and COMPREPLY. */
  async function completeInBash(words: string[], stubOutput: string): Promise<{ argv: string[]; reply: string[] }> {
    dir = await mkdtemp(join(tmpdir(), 'oauth-cli-completion-'))
    await writeFile(join(dir, 'script.bash'), completionScript('bash'))
    await writeFile(join(dir, 'profile.json'), '')
    const quoted = words.map((w) => `'${w}'`).join(' ')
    const program = [
      `oauth-cli() { printf '%s\\n' "$@" > "$DIR/argv"; printf '${stubOutput}'; }`,
      'source "$DIR/script.bash"',
      `COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}`,
      'cd "$DIR" && _oauth_cli_complete',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n')
    const { stdout } = await run('bash', ['--norc', '--noprofile', '-c', program], { env: { DIR: dir, PATH: process.env.PATH } })
    const { stdout: argv } = await run('cat', [join(dir, 'argv')])
    return { argv: argv.slice(0, -1).split('\n'), reply: stdout.trimEnd() === '' ? [] : stdout.trimEnd().split('\n') }
  }

  it('passes the words typed so far, the empty current one included, and offers the answer', async () => {
    const { argv, reply } = await completeInBash(['oauth-cli', 'login', ''], 'livechat\\nlivestorm\\n')
    expect(argv).toEqual(['__complete', '--', 'login', ''])
    expect(reply).toEqual(['livechat', 'livestorm'])
  })

  it('completes file names when told :file', async () => {
    const { reply } = await completeInBash(['oauth-cli', '--config', 'pro'], ':file\\n')
    expect(reply).toEqual(['profile.json'])
  })
})
