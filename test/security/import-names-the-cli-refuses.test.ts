/**
 * A bundle is input from elsewhere (a CI secret, a colleague): `import` took a
 * profile or provider name that no command accepts, so the credential could
 * never be logged out again, and the "Imported …" line wrote the name's raw
 * OSC / clear-screen sequences to the terminal.
 */
import { describe, expect } from 'vitest'
import { encodeBundle } from '../../src/session/bundle'
import { makeCredential } from '../fakes/credential'
import { expectExit, it, statusJson, SUITE } from '../e2e/world'

const ESC = '\u001b'

function bundleOf(provider: string, profile: string): string {
  return `${encodeBundle(makeCredential({ provider, profile, token_endpoint: 'http://127.0.0.1:9/token' }))}\n`
}

describe('import refuses names the CLI refuses', SUITE, () => {
  it.for([
    ['a terminal escape', `p${ESC}]0;PWN\u0007${ESC}[2J`],
    ['a slash', 'a/b'],
    ['a dot-dot', '..'],
    ['a newline', 'ci\nImported livechat'],
  ] as const)('a profile with %s is a usage error (exit 2) naming the profile, printing no control character; nothing is stored', async ([, profile], { makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['import'], { stdin: bundleOf('acme', profile) })
    expectExit(run, 2)
    expect(run.stderr).toMatch(/"profile"/)
    expect(run.stderr).toContain('--profile')
    expect(run.stderr).not.toContain(ESC)
    expect(run.stderr).not.toContain('\u0007')
    expect(run.stdout).toBe('')
    expect(await statusJson(world)).toEqual([])
  })

  it.for(['../../tmp/evil', `acme${ESC}[2J`, '.hidden'])('a provider name %j is a usage error (exit 2) naming the provider; nothing is stored', async (provider, { makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['import'], { stdin: bundleOf(provider, 'default') })
    expectExit(run, 2)
    expect(run.stderr).toMatch(/"provider"/)
    expect(run.stderr).not.toContain(ESC)
    expect(await statusJson(world)).toEqual([])
  })

  it('a bundle whose profile the CLI refuses is stored under the one --profile names, and can be logged out', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['import', '--profile', 'ci'], { stdin: bundleOf('acme', 'a/b') })
    expectExit(run, 0)
    expect(run.stderr).toContain('Imported acme (profile ci)')
    expect((await statusJson(world)).map((c) => `${c.provider}:${c.profile}`)).toEqual(['acme:ci'])
    expectExit(await world.cli(['logout', 'acme', '--profile', 'ci', '--local']), 0)
    expect(await statusJson(world)).toEqual([])
  })
})
