import { describe, expect, it } from 'vitest'
import { executeImport, runImport } from '../../../src/cli/commands/import'
import { UsageError } from '../../../src/cli/errors'
import { encodeBundle } from '../../../src/session/bundle'
import { BufferIO, makeTestDeps, MemoryStore } from '../../fakes'
import { FIXTURE_ACCESS_TOKEN, makeCredential } from '../../fakes/credential'

const opts = { json: false, verbose: false, store: 'auto' as const }

function depsWith(stdin: string, store = new MemoryStore()) {
  return { store, deps: makeTestDeps({ store, io: new BufferIO({ stdin }) }) }
}

describe('runImport', () => {
  it('stores the credential from the bundle on stdin under its own provider and profile', async () => {
    const credential = makeCredential({ profile: 'work' })
    const { store, deps } = depsWith(`${encodeBundle(credential)}\n`)
    const result = await runImport(opts, deps)
    expect(await store.get({ provider: 'livechat', profile: 'work' })).toEqual({ status: 'found', credential })
    expect(result).toMatchObject({ replaced: false, summary: { provider: 'livechat', profile: 'work', refreshable: true } })
  })

  it('renames the profile with --profile and keeps the provider', async () => {
    const { store, deps } = depsWith(encodeBundle(makeCredential({ profile: 'work' })))
    await runImport({ ...opts, profile: 'ci' }, deps)
    expect((await store.list()).map((c) => `${c.provider}:${c.profile}`)).toEqual(['livechat:ci'])
  })

  it('says when it replaces a credential stored before', async () => {
    const store = new MemoryStore()
    await store.set(makeCredential({ access_token: 'older' }))
    const { deps } = depsWith(encodeBundle(makeCredential()), store)
    expect((await runImport(opts, deps)).replaced).toBe(true)
    expect(store.items.get('livechat:default')?.access_token).toBe(FIXTURE_ACCESS_TOKEN)
  })

  it('reads a hidden line on a terminal', async () => {
    const store = new MemoryStore()
    const deps = makeTestDeps({ store, io: new BufferIO({ stdinIsTTY: true, lines: [encodeBundle(makeCredential())] }) })
    await runImport(opts, deps)
    expect(store.items.size).toBe(1)
  })

  it.each([
    ['empty stdin', ''],
    ['a bare token', FIXTURE_ACCESS_TOKEN],
    ['a bundle cut short', encodeBundle(makeCredential()).slice(0, 80)],
  ])('refuses %s as a usage error that does not echo the input, storing nothing', async (_name, input) => {
    const { store, deps } = depsWith(input)
    const err = await runImport(opts, deps).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UsageError)
    expect((err as UsageError).exitCode).toBe(2)
    expect((err as UsageError).message).toMatch(/stdin is not a credential bundle/)
    if (input) expect((err as UsageError).message).not.toContain(input.slice(-16))
    expect(store.writes).toBe(0)
  })
})

describe('executeImport', () => {
  it('prints the summary line on stderr, and JSON on stdout with --json', async () => {
    const { deps } = depsWith(encodeBundle(makeCredential()))
    expect(await executeImport({ ...opts, json: true }, deps)).toBe(0)
    expect(JSON.parse(deps.io.stdoutText)).toMatchObject({ provider: 'livechat', profile: 'default', store: 'file' })
    expect(deps.io.stderrText).toBe('✓ Imported livechat (profile default); stored in the file store\n')
  })

  it.each([
    ['file', ' --store file'],
    ['keychain', ' --store keychain'],
    [undefined, ' --store <the store it was exported from>'],
  ] as const)(
    'after an import into the shared store, names the store (%s) to remove the source copy from, not the shared one',
    async (from, spelled) => {
      // The shared store may be the default where the hint is run (OAUTH_CLI_STORE=postgres://…): without --store, logout deletes the shared row.
      const { deps } = depsWith(encodeBundle(makeCredential({ profile: 'f13' }), from), new MemoryStore('postgres', '127.0.0.1:5432/oauth'))
      expect(await executeImport(opts, deps)).toBe(0)
      expect(deps.io.stderrText).toContain(`where you exported it, run oauth-cli logout livechat --profile f13 --local${spelled}\n`)
    },
  )

  it('prints nothing on stdout without --json', async () => {
    const { deps } = depsWith(encodeBundle(makeCredential()))
    await executeImport(opts, deps)
    expect(deps.io.stdoutText).toBe('')
  })
})
