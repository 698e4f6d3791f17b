/**
 * A provider's `unreachable_hint` (a config key, as the sandbox's built-in
 * entry uses it) is what the user reads in place of the generic network hint
 * when that provider cannot be reached at all: for a configured provider too,
 * on the API path and at the token endpoint alike. Through the built binary.
 */
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { describe, expect } from 'vitest'
import { acmeEntry, expectExit, it, loginAcme, SUITE } from './world'

/** A loopback port nothing listens on: bound, then closed again. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** What follows the error line (`oauth-cli: cannot reach …`): its hint; a warning said before it is not part of it. */
function linesAfterError(stderr: string): string[] {
  const lines = stderr.trimEnd().split('\n')
  return lines.slice(lines.findIndex((line) => line.startsWith('oauth-cli: cannot reach')) + 1)
}

const HINT = 'is the acme VPN up? Connect to it and try again'

describe("a configured provider's unreachable_hint", SUITE, () => {
  it('is the hint when its API cannot be reached (call, exit 5)', async ({ makeWorld }) => {
    const port = await closedPort()
    const world = await makeWorld({ acme: { api_base_url: `http://127.0.0.1:${port}/api`, unreachable_hint: HINT } })
    await loginAcme(world)
    const run = await world.cli(['call', 'acme', '/things'])
    expectExit(run, 5)
    expect(run.stderr).toContain(`could not connect to 127.0.0.1:${port} (connection refused)`)
    expect(linesAfterError(run.stderr)).toEqual([HINT])
  })

  it('is the hint when its token endpoint cannot be reached (refresh, exit 5), and the stored credentials stay', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const port = await closedPort()
    world.home.writeConfig({ providers: { acme: { ...acmeEntry(world.fp), token_endpoint: `http://127.0.0.1:${port}/token`, unreachable_hint: HINT } } })
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 5)
    expect(run.stderr).toContain(`could not connect to 127.0.0.1:${port} (connection refused)`)
    expect(linesAfterError(run.stderr)).toEqual([HINT])
    expectExit(await world.cli(['status', 'acme']), 0)
  })
})
