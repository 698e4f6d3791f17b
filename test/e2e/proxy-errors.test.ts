/**
 * What a user behind a proxy reads when the proxy is the problem. A proxy that
 * refuses the connection is named (its host and port, and the variable that
 * named it), never the provider as if the provider had refused, and never
 * with the user name and password the proxy URL carries. A proxy variable that
 * names no proxy is worded one way, by the client and by `doctor` alike.
 */
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { describe, expect } from 'vitest'
import { expectExit, it, loginAcme, SUITE } from './world'

/** A loopback port nothing listens on: bound, then closed again. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('a proxy that refuses the connection', SUITE, () => {
  it.for([
    { command: 'call', args: ['call', 'acme', '/things'] },
    { command: 'refresh', args: ['refresh', 'acme'] },
  ])('$command names the proxy and the variable, not the provider, and never the credentials in its URL (exit 5)', async ({ args }, { makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const sent = world.fp.requests.length
    const port = await closedPort()
    const run = await world.cli(args, { env: { HTTP_PROXY: `http://proxyuser:hunter2-secret@127.0.0.1:${port}` } })
    expectExit(run, 5)
    expect(run.stdout).toBe('')
    const [message, ...hint] = run.stderr.trimEnd().split('\n')
    expect(message).toContain(`the proxy 127.0.0.1:${port}`)
    expect(message).toContain('HTTP_PROXY')
    expect(message).toContain('connection refused')
    // The provider was never reached: it is not the one said to refuse.
    expect(message).not.toContain(`could not connect to ${new URL(world.fp.url).host}`)
    expect(hint.join('\n')).toMatch(/HTTP_PROXY/)
    expect(hint.join('\n')).toMatch(/NO_PROXY/)
    expect(run.stderr).not.toContain('hunter2')
    expect(run.stderr).not.toContain('proxyuser')
    expect(world.fp.requests).toHaveLength(sent)
  })
})

describe('a proxy variable that names no proxy', SUITE, () => {
  it('is worded the same by the client (exit 2) and by doctor, naming the variable and never its value', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const env = { HTTPS_PROXY: 'http://proxyuser:hunter2-secret@[proxy' }
    const call = await world.cli(['call', 'acme', '/things'], { env })
    expectExit(call, 2)
    const [message, hint] = call.stderr.trimEnd().split('\n')
    expect(message).toBe('oauth-cli: HTTPS_PROXY is not the URL of a proxy')
    const doctor = await world.cli(['doctor'], { env })
    const lines = doctor.stdout.split('\n')
    const at = lines.findIndex((line) => line.startsWith('✗ proxy'))
    expect(at, doctor.stdout).toBeGreaterThanOrEqual(0)
    expect(lines[at]).toMatch(/^✗ proxy +HTTPS_PROXY is not the URL of a proxy$/)
    expect(lines[at + 1]?.trim()).toBe(`fix: ${hint}`)
    expect(`${call.stderr}${doctor.stdout}${doctor.stderr}`).not.toContain('hunter2')
    expect(`${call.stderr}${doctor.stdout}${doctor.stderr}`).not.toContain('proxyuser')
  })
})
