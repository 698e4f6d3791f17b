/**
 * Issue 10 item 5: text a server chose reached the terminal raw. An OSC 52
 * sequence writes the clipboard, OSC 0 the window title, OSC 8 plants a link,
 * `ESC[2K` plus CR erases a warning and forges a "✓ Logged in". Every such
 * character is shown escaped, in errors, device codes, the trace and status.
 */
import { describe, expect } from 'vitest'
import { SUITE, expectExit, loginAcme } from '../e2e/world'
import { it, RAW_CONTROLS } from './hostile-server'

const FORGED = '\u001b]0;owned\u0007 \u001b]52;c;cm0gLXJmIH4=\u0007 done\r\u001b[2K\u009b31m\u202e✓ Logged in'

describe('terminal escapes chosen by a server', SUITE, () => {
  it('escapes them in an error_description from the token endpoint', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    world.fp.injectTokenFault({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: 'invalid_request', error_description: FORGED }),
    })
    const run = await world.cli(['refresh', 'acme'])
    expectExit(run, 1)
    expect(run.stderr).not.toMatch(RAW_CONTROLS)
    expect(run.stderr).toContain('\\x1b]52;c;')
    // One message line, one hint line at most: the server cannot add lines of its own.
    expect(run.stderr).toMatch(/^oauth-cli: the refresh failed \(HTTP 400\): invalid_request \(.*done\\r\\x1b\[2K.*\)$/m)
  })

  it('escapes them in a device user_code and verification_uri', async ({ makeWorld, startHostile }) => {
    const hostile = await startHostile({
      '/device': {
        status: 200,
        body: {
          device_code: 'dev-code-1',
          user_code: `ABCD\u001b[8m-EFGH`,
          verification_uri: `https://verify.example/\u001b]8;;https://evil.example/\u0007here\u001b]8;;\u0007`,
          expires_in: 60,
          interval: 1,
        },
      },
      '/token': { status: 400, body: { error: 'access_denied', error_description: FORGED } },
    })
    const world = await makeWorld({
      acme: { device_authorization_endpoint: `${hostile.url}/device`, token_endpoint: `${hostile.url}/token` },
    })
    const run = await world.cli(['login', 'acme', '--device'], { env: { BROWSER: world.noopBrowser() } })
    expectExit(run, 1)
    expect(hostile.seen).toContain('POST /token')
    expect(run.stderr).toContain('ABCD\\x1b[8m-EFGH')
    expect(run.stderr).toContain('https://verify.example/\\x1b]8;;')
    expect(run.stderr).not.toMatch(RAW_CONTROLS)
  })

  it('escapes them in a --verbose trace of an API answer', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    world.fp.injectApiFault({ status: 500, headers: { 'content-type': 'text/plain' }, body: FORGED })
    const run = await world.cli(['call', 'acme', '/things', '--verbose', '-X', 'POST'])
    expectExit(run, 4)
    expect(run.stderr).toContain('\\x1b]0;owned')
    expect(run.stderr).not.toMatch(RAW_CONTROLS)
  })

  it('escapes them in the scopes a token response chose, as status shows them', async ({ makeWorld }) => {
    const world = await makeWorld()
    await loginAcme(world)
    world.fp.injectTokenFault({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ access_token: 'at-hostile-1', token_type: 'Bearer', expires_in: 3600, scope: 'read \u001b]0;owned\u0007write' }),
    })
    expectExit(await world.cli(['refresh', 'acme']), 0)
    const run = await world.cli(['status'])
    expectExit(run, 0)
    expect(run.stdout + run.stderr).toContain('\\x1b]0;owned')
    expect(run.stdout + run.stderr).not.toMatch(RAW_CONTROLS)
  })
})
