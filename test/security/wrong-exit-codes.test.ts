/**
 * Issue 10 item 17: scripts act on exit codes (CI retries exit 5), so input the
 * user got wrong must exit 2, and a provider that is failing must exit 5.
 */
import { describe, expect } from 'vitest'
import { apiRequests, it, SUITE, expectExit, loginAcme } from '../e2e/world'

describe('exit codes of hostile or broken input', SUITE, () => {
  it.for([
    ['CR LF', 'X-Foo: a\r\nX-Injected: b'],
    ['LF', 'X-Foo: a\nX-Injected: b'],
    ['CR', 'X-Foo: a\rb'],
  ] as const)('a -H header with %s in it is a usage error (exit 2), and nothing is sent', async ([, header], { makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    const run = await world.cli(['call', 'acme', '/things', '-H', header])
    expectExit(run, 2)
    expect(run.stderr).toMatch(/-H/)
    expect(apiRequests(world.fp)).toEqual([])
  })

  it.for(['TRACE ', 'G E T', 'GET\r\n', 'PO(ST', ''])(
    'an invalid -X method %j is a usage error (exit 2), not a network failure',
    async (method, { makeWorld }) => {
      const world = await makeWorld()
      await loginAcme(world)
      const run = await world.cli(['call', 'acme', '/things', '-X', method])
      expectExit(run, 2)
      expect(run.stderr).toMatch(/-X|method/)
      expect(apiRequests(world.fp)).toEqual([])
    },
  )

  it.for([502, 503])('an HTML %i from the token endpoint is the provider failing (exit 5)', async (status, { makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    world.fp.injectTokenFault({
      status,
      headers: { 'content-type': 'text/html' },
      body: '<html><body><h1>Bad Gateway</h1></body></html>',
    }, Infinity)
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 5)
    expect(run.stderr).toMatch(new RegExp(`HTTP ${status}`))
    expect(run.stderr).not.toContain('<h1>')
  })
})
