/**
 * The process boundary, on the built CLI: a reader that goes away (`| head -1`),
 * Ctrl-C on every path (the fast builds and the full CLI alike), and the
 * parser's pointers for options curl users type.
 */
import { describe, expect } from 'vitest'
import type { SpawnedCli } from '../support/run-cli'
import { it, SUITE, apiRequests, expectExit, loginAcme, type World } from './world'

/** A body well past the pipe's buffer and the 1 MiB call holds back, so the reader's going away is seen mid-body. */
const BIG_BODY = JSON.stringify({ data: 'x'.repeat(4 * 1024 * 1024) })

/** As `… | head -c N`: the reader closes its end after the first chunk it gets. */
function closeStdoutAfterFirstChunk(cli: SpawnedCli): void {
  cli.child.stdout.once('data', () => cli.child.stdout.destroy())
}

/** As `… | true`: the reader is gone before the CLI writes anything (node takes far longer to start than this takes). */
function closeStdoutAtOnce(cli: SpawnedCli): void {
  cli.child.stdout.destroy()
}

describe('a reader that goes away (| head -1)', SUITE, () => {
  it('call ends quietly with exit 0 when stdout is closed mid-body', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    world.fp.injectApiFault({ status: 200, body: BIG_BODY, headers: { 'content-type': 'application/json' } })
    const cli = world.spawn(['call', 'acme', '/big'])
    closeStdoutAfterFirstChunk(cli)
    const run = await cli.exited
    expect(run.stderr).toBe('')
    expectExit(run, 0)
  })

  it('call still exits 4 on an HTTP error status whose body the reader cut short, saying only the status', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    world.fp.injectApiFault({ status: 404, body: BIG_BODY, headers: { 'content-type': 'application/json' } })
    const cli = world.spawn(['call', 'acme', '/big'])
    closeStdoutAfterFirstChunk(cli)
    const run = await cli.exited
    expectExit(run, 4)
    expect(run.stderr).toContain('404')
    expect(run.stderr).not.toMatch(/EPIPE|cannot write/)
  })

  it.for([
    [['--version']],
    [['--help']],
    [['call', '--help']],
    [['help', 'login']],
    [['token', 'acme']],
    [['token', 'acme', '--json']],
    [['status']],
    [['status', '--json']],
    [['status', 'acme', '--json']],
    [['providers']],
    [['providers', '--json']],
    [['call', 'acme', '/me']],
    [['call', 'acme', '/me', '--verbose']],
    [['completion', 'bash']],
  ])('%j into a closed stdout ends quietly with exit 0', async ([args], { makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const cli = world.spawn(args!)
    closeStdoutAtOnce(cli)
    const run = await cli.exited
    // --verbose's trace is on stderr by design; nothing else may be.
    const stderr = args!.includes('--verbose') ? run.stderr.replace(/^(>|<|\*).*\n/gm, '') : run.stderr
    expect(stderr).toBe('')
    expectExit(run, 0)
  })
})

/** Waits (bounded) until the provider has seen a request for `path`: the CLI is then waiting for its answer. */
async function requestArrived(world: World, path: string, cli: SpawnedCli): Promise<void> {
  const deadline = Date.now() + 10_000
  while (apiRequests(world.fp, path).length === 0) {
    if (cli.child.exitCode !== null) throw new Error(`the CLI exited first\n${cli.stderr()}`)
    if (Date.now() > deadline) throw new Error(`no request for ${path} within 10 s\n${cli.stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('Ctrl-C during a wait', SUITE, () => {
  it.for([
    ['the fast build', [] as string[]],
    ['the full CLI', ['--verbose']],
  ])('during a call waiting for the API (%s) prints one "cancelled" line and exits 130', async ([, extra], { makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    world.fp.injectApiFault('hang')
    const cli = world.spawn(['call', 'acme', '/slow', ...(extra as string[])])
    await requestArrived(world, '/api/slow', cli)
    cli.child.kill('SIGINT')
    const run = await cli.exited
    expect(run.exitCode, run.stderr).toBe(130)
    expect(run.stderr.trimEnd().split('\n').at(-1), run.stderr).toBe('oauth-cli: cancelled')
    expect(run.stderr.match(/cancelled/g)).toHaveLength(1)
    expect(run.stdout).toBe('')
  })
})

describe('curl options the tool refuses on purpose', SUITE, () => {
  it.for(['-L', '--location', '-sL', '-fsSL', '-Lf'])(
    'call %s says at once that credentials never follow redirects, exit 2',
    async (flag, { makeWorld }) => {
      const world = await makeWorld()
      await loginAcme(world)
      const run = await world.cli(['call', 'acme', '/me', flag])
      expectExit(run, 2)
      const [first, ...rest] = run.stderr.trimEnd().split('\n')
      expect(first).toMatch(/^oauth-cli: -L \(follow redirects\) is refused: credentials never follow a redirect/)
      expect(first).not.toContain('unknown option')
      expect(rest.join('\n')).toContain('-i')
      expect(apiRequests(world.fp)).toEqual([])
    },
  )

  it('-sS (curl\'s "silent but show errors") is accepted: errors are always shown', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const ok = await world.cli(['call', 'acme', '/me', '-sS'])
    expectExit(ok, 0)
    expect(ok.stderr).toBe('')
    const failed = await world.cli(['call', 'acme', '/status/404', '-fsS'])
    expectExit(failed, 4)
    expect(failed.stderr).toContain('404')
  })

  it('an unknown option glued to its value (-uuser:pw, --password=pw) is named without the value', async ({ makeWorld }) => {
    const world = await makeWorld()
    const glued = await world.cli(['call', 'acme', '/me', '-ualice:hunter2'])
    expectExit(glued, 2)
    expect(glued.stderr).toContain("'-u'")
    const long = await world.cli(['login', 'acme', '--password=hunter2'])
    expectExit(long, 2)
    expect(long.stderr).toContain("'--password'")
    for (const run of [glued, long]) expect(run.stderr).not.toContain('hunter2')
  })

  it('-k and -u point at what the tool does instead (--cacert; the store or -H Authorization)', async ({ makeWorld }) => {
    const world = await makeWorld()
    const insecure = await world.cli(['call', 'acme', '/me', '-k'])
    expectExit(insecure, 2)
    expect(insecure.stderr).toContain('--cacert <file>')
    const user = await world.cli(['call', 'acme', '/me', '-u', 'alice:hunter2'])
    expectExit(user, 2)
    expect(user.stderr).toContain("-H 'Authorization: …'")
    expect(world.fp.requests).toEqual([])
  })
})
