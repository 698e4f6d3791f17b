/**
 * How long a keychain fall-back is remembered depends on why the keychain was
 * not used: one that did not answer in time is asked again within minutes, one
 * that is not there (no Secret Service, one that fails to start) only after a
 * day. That is decided by the probe's own result (it timed out or not), never by
 * the wording of its reason. Against a real dbus-daemon on a private bus.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../../../src/store/select-store'

const DBUS_DAEMON = ['/usr/bin/dbus-daemon', '/bin/dbus-daemon'].find((p) => existsSync(p))

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oauth-cli-fallback-transient-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Opens the default store against `address` and returns what the fall-back memory says. */
async function fallBackOn(address: string, name: string): Promise<{ reason: string; transient: boolean }> {
  const home = join(dir, name)
  const notices: string[] = []
  const store = await openStore('auto', {
    env: { DBUS_SESSION_BUS_ADDRESS: address },
    dataDir: join(home, 'data'),
    stateDir: join(home, 'state'),
    platform: 'linux',
    notice: (line) => notices.push(line),
  })
  expect(store.kind).toBe('file')
  expect(notices.join('\n')).toMatch(/no OS keychain here/)
  return JSON.parse(readFileSync(join(home, 'state', 'keychain-fallback.json'), 'utf8')) as { reason: string; transient: boolean }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      if (text.includes('\n')) resolve(text.split('\n')[0]!)
    })
    child.on('exit', (code) => reject(new Error(`dbus-daemon exited (${code}) before printing its address`)))
  })
}

describe.skipIf(process.platform !== 'linux' || !DBUS_DAEMON)('the keychain fall-back memory, on a real session bus', { timeout: 20_000 }, () => {
  let daemon: ChildProcess
  let busAddress: string

  beforeAll(async () => {
    // A bus whose Secret Service is activatable but fails to start: the Ping is answered at once, with an error.
    const services = join(dir, 'services')
    mkdirSync(services, { recursive: true })
    writeFileSync(join(services, 'org.freedesktop.secrets.service'), '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=/bin/false\n')
    const config = join(dir, 'bus.conf')
    writeFileSync(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${dir}</listen>
  <servicedir>${services}</servicedir>
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
`,
    )
    daemon = spawn(DBUS_DAEMON!, [`--config-file=${config}`, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] })
    busAddress = (await firstLine(daemon)).trim()
  })

  afterAll(() => {
    daemon?.kill('SIGKILL')
  })

  it('a Secret Service that fails to start is not there: remembered for a day, not retried in minutes', async () => {
    const memory = await fallBackOn(busAddress, 'spawn-fails')
    expect(memory.reason).toMatch(/org\.freedesktop\.DBus\.Error\.Spawn/)
    expect(memory.transient).toBe(false)
  })
})

describe.skipIf(process.platform !== 'linux')('the keychain fall-back memory, on a bus that never answers', { timeout: 20_000 }, () => {
  let server: Server
  const sockets: Socket[] = []
  let path: string

  beforeAll(async () => {
    path = join(dir, 'silent-bus')
    server = createServer((socket) => void sockets.push(socket))
    await new Promise<void>((resolve) => server.listen(path, resolve))
  })

  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('a bus that did not answer in time is remembered only briefly', async () => {
    const memory = await fallBackOn(`unix:path=${path}`, 'silent')
    expect(memory.reason).toMatch(/within \d+ ms/)
    expect(memory.transient).toBe(true)
  })
})
