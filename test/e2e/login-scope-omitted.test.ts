/**
 * RFC 6749 §5.1: a token answer may leave `scope` out "if identical to the
 * scope requested by the client". A login whose answer does so has the scope it
 * asked for, and status shows that, for the code flow and the device flow
 * alike (the client credentials grant did already). On the built CLI against
 * the fake provider with `omitScope`.
 */
import { describe, expect } from 'vitest'
import type { FakeProvider } from '../support/fake-provider'
import { it, SUITE, expectExit, loginAcme, scopesOf, statusJson, tokenRequests } from './world'

const withDevice = (fp: FakeProvider) => ({ device_authorization_endpoint: `${fp.url}/device` })

describe('a login answer without scope', SUITE, () => {
  it('stores the scope the browser login asked for, and status shows it', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { omitScope: true } })
    await loginAcme(world, ['--scope', 'read', 'profile:ro'])
    expect(tokenRequests(world.fp)[0]!.body).not.toContain('scope')
    const [row] = await statusJson(world)
    expect(scopesOf(row!)).toEqual(['read', 'profile:ro'])
  })

  it('stores the scope the device login asked for, comma-separated at such a provider', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { omitScope: true }, acme: (fp) => ({ ...withDevice(fp), scope: 'chats--all:ro agents--all:rw', scope_separator: ',' }) })
    const cli = world.spawn(['login', 'acme', '--device', '--no-browser', '--timeout', '30'])
    await cli.waitForStderr(/enter the code: \S+\n/)
    expect(world.fp.decidePendingDevices()).toBe(1)
    expectExit(await cli.exited, 0)
    const device = world.fp.requests.find((r) => r.path === '/device')!
    expect(new URLSearchParams(device.body).get('scope')).toBe('chats--all:ro,agents--all:rw')
    const [row] = await statusJson(world)
    expect(scopesOf(row!)).toEqual(['chats--all:ro', 'agents--all:rw'])
  })

  it('stores no scope when none was asked for (nothing is invented)', async ({ makeWorld }) => {
    const world = await makeWorld({ provider: { omitScope: true } })
    await loginAcme(world)
    const [row] = await statusJson(world)
    expect(scopesOf(row!)).toEqual([])
  })
})
