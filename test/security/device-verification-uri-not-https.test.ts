/**
 * Issue 10 item 13: a device authorization answer chose the page the browser
 * opens, and `file:///etc/passwd` reached `$BROWSER`. Only `https:` (or `http:`
 * on a loopback host) is opened; anything else is printed as text, with a warning.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { SUITE, expectExit, type MakeWorld } from '../e2e/world'
import { it, type HostileServer, type ScriptedReply } from './hostile-server'

type StartHostile = (routes: Record<string, ScriptedReply>) => Promise<HostileServer>

async function deviceWorld(
  { makeWorld, startHostile }: { makeWorld: MakeWorld; startHostile: StartHostile },
  uris: { verification_uri: string; verification_uri_complete?: string },
) {
  const hostile = await startHostile({
    '/device': { status: 200, body: { device_code: 'dev-code-1', user_code: 'WXYZ-1234', expires_in: 60, interval: 1, ...uris } },
    '/token': { status: 400, body: { error: 'access_denied' } },
  })
  const world = await makeWorld({
    acme: { device_authorization_endpoint: `${hostile.url}/device`, token_endpoint: `${hostile.url}/token` },
  })
  const opened = join(world.home.home, 'browser-args')
  const browser = world.home.writeExecutable('recording-browser', `#!/bin/sh\nprintf '%s\\n' "$@" >> '${opened}'\n`)
  const run = await world.cli(['login', 'acme', '--device'], { env: { BROWSER: browser } })
  return { run, opened: () => (existsSync(opened) ? readFileSync(opened, 'utf8') : '') }
}

describe('the device verification URI a server chose', SUITE, () => {
  it.for([
    ['a file: URL', 'file:///etc/passwd'],
    ['a javascript: URL', 'javascript:alert(document.cookie)'],
    ['plain http to another host', 'http://verify.attacker.example/device'],
    ['a custom scheme', 'ms-settings:privacy'],
  ] as const)('is never handed to the browser when it is %s, but printed with a warning', async ([, uri], { makeWorld, startHostile }) => {
    const { run, opened } = await deviceWorld({ makeWorld, startHostile }, { verification_uri: uri, verification_uri_complete: `${uri}?user_code=WXYZ-1234` })
    expectExit(run, 1)
    expect(opened()).toBe('')
    expect(run.stderr).toContain(uri)
    expect(run.stderr).toContain('WXYZ-1234')
    expect(run.stderr).toMatch(/warning: .*not opened/)
  })

  it('opens the https verification_uri when only verification_uri_complete is unsafe', async ({ makeWorld, startHostile }) => {
    const { run, opened } = await deviceWorld({ makeWorld, startHostile }, {
      verification_uri: 'https://verify.example/device',
      verification_uri_complete: 'file:///etc/passwd',
    })
    expectExit(run, 1)
    expect(opened()).toBe('https://verify.example/device\n')
    expect(run.stderr).toMatch(/warning: .*file:\/\/\/etc\/passwd/)
  })

  it('opens an https verification_uri_complete as before', async ({ makeWorld, startHostile }) => {
    const { run, opened } = await deviceWorld({ makeWorld, startHostile }, {
      verification_uri: 'https://verify.example/device',
      verification_uri_complete: 'https://verify.example/device?user_code=WXYZ-1234',
    })
    expectExit(run, 1)
    expect(opened()).toBe('https://verify.example/device?user_code=WXYZ-1234\n')
    expect(run.stderr).not.toMatch(/warning/)
  })
})
