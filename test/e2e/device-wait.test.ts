/**
 * The device login's wait, on the built CLI: it says once how long it waits
 * (the code's expires_in against --timeout), as the browser login does.
 */
import { describe, expect } from 'vitest'
import type { FakeProvider } from '../support/fake-provider'
import { it, SUITE, expectExit } from './world'

const withDevice = { acme: (fp: FakeProvider) => ({ device_authorization_endpoint: `${fp.url}/device` }) }

describe('the device login wait', SUITE, () => {
  it('says how long it waits (--timeout, within the code lifetime), once', async ({ makeWorld }) => {
    const world = await makeWorld({ ...withDevice, provider: { deviceCodeTtl: 600 } })
    const cli = world.spawn(['login', 'acme', '--device', '--no-browser', '--timeout', '60'])
    await cli.waitForStderr(/enter the code: \S+\n/)
    const [line] = await cli.waitForStderr(/^Waiting for the approval.*$/m)
    expect(line).toBe('Waiting for the approval (up to 60 s; Ctrl-C to cancel)')
    expect(world.fp.decidePendingDevices()).toBe(1)
    const run = await cli.exited
    expectExit(run, 0)
    expect(run.stderr.match(/Waiting for the approval/g)).toHaveLength(1)
  })

  it('says how long each code is valid when --timeout outlasts it, and that a new one is shown; once, not per code', async ({ makeWorld }) => {
    const world = await makeWorld({ ...withDevice, provider: { deviceCodeTtl: 1 } })
    const cli = world.spawn(['login', 'acme', '--device', '--no-browser', '--timeout', '30'])
    await cli.waitForStderr(/(?:enter the code: \S+[\s\S]*){2}/, 15_000)
    cli.child.kill('SIGINT')
    const run = await cli.exited
    expectExit(run, 130)
    const waits = run.stderr.match(/^Waiting for the approval.*$/gm)
    expect(waits).toEqual(['Waiting for the approval (up to 30 s; each code is valid for 1 s, then a new one is shown; Ctrl-C to cancel)'])
  })

  it('polls again, less often, after a poll whose connection was reset (RFC 8628 §3.5), and logs in once approved', async ({ makeWorld }) => {
    const world = await makeWorld({ ...withDevice, provider: { deviceCodeTtl: 600 } })
    // The first poll's connection is reset (a server closing an idle keep-alive socket does that).
    world.fp.injectTokenFault('reset')
    const cli = world.spawn(['login', 'acme', '--device', '--no-browser', '--timeout', '30'])
    await cli.waitForStderr(/enter the code: \S+\n/)
    const polls = (): number => world.fp.requests.filter((r) => r.path === '/token').length
    await world.fp.waitForRequest((r) => r.path === '/token')
    expect(world.fp.decidePendingDevices()).toBe(1)
    const run = await cli.exited
    expectExit(run, 0)
    expect(polls()).toBe(2)
    expect(run.stderr).toContain('Logged in to acme')
  })

  it('says when the provider called the code expired early, not that --timeout ran out', async ({ makeWorld }) => {
    const world = await makeWorld({ ...withDevice, provider: { deviceCodeTtl: 600 } })
    const expiredToken = { status: 400, body: JSON.stringify({ error: 'expired_token' }), headers: { 'content-type': 'application/json' } }
    // The first poll (after the 1 s interval) is answered expired_token, 599 s before the code's own expires_in.
    world.fp.injectTokenFault(expiredToken)
    const run = await world.cli(['login', 'acme', '--device', '--no-browser', '--timeout', '4'])
    expectExit(run, 5)
    expect(run.stderr).not.toContain('within 4 s')
    expect(run.stderr).toMatch(/acme said the device code expired after [12] s, before it was approved \(it was to be valid for 600 s\)/)
    expect(await world.cli(['status', '--json']).then((r) => r.stdout.trim())).toBe('[]')
  })
})
