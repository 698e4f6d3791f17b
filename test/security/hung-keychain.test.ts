/**
 * Attack (issue 10 item 7): DBUS_SESSION_BUS_ADDRESS points at a socket that
 * accepts and never answers. `new AsyncEntry(...)` of @napi-rs/keyring blocks
 * the main thread there, so no timeout ever fired: `status`, `token` and
 * `login --with-token` never returned. Now: within 5 s, the file store with the
 * fall-back notice (default store), or a clear error (`--store keychain`).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sandboxCredential, securityHome, type SecurityHome } from './support'

let dir: string
let server: Server
const sockets: Socket[] = []
let address: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oauth-cli-hung-bus-'))
  const path = join(dir, 'bus')
  // Accepts every connection, reads whatever comes, never writes a byte.
  server = createServer((socket) => {
    sockets.push(socket)
    socket.on('data', () => undefined)
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  address = `unix:path=${path}`
})

afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  rmSync(dir, { recursive: true, force: true })
})

const BOUND_MS = 5000

async function withHome(run: (home: SecurityHome, env: Record<string, string>) => Promise<void>): Promise<void> {
  const home = securityHome()
  // The default store: no OAUTH_CLI_STORE.
  const { OAUTH_CLI_STORE: _file, ...rest } = home.env
  const env = { ...rest, DBUS_SESSION_BUS_ADDRESS: address, XDG_RUNTIME_DIR: dir }
  try {
    await run(home, env)
  } finally {
    home.cleanup()
  }
}

describe.skipIf(process.platform !== 'linux')('a D-Bus session bus that accepts and never answers', { concurrent: true, timeout: 30_000 }, () => {
  it('status returns within 5 s, from the file store, with the fall-back notice', async () => {
    await withHome(async (home, env) => {
      await home.plant(sandboxCredential())
      const run = await home.cli(['status', '--json'], { ...env, OAUTH_CLI_STORE: '' }, 15_000)
      expect(run.ms).toBeLessThan(BOUND_MS)
      expect(run.exitCode, run.stderr).toBe(0)
      expect(JSON.parse(run.stdout)).toMatchObject([{ provider: 'sandbox', store: 'file' }])
      expect(run.stderr).toMatch(/keychain/i)
    })
  })

  it('token returns within 5 s with the stored token', async () => {
    await withHome(async (home, env) => {
      await home.plant(sandboxCredential())
      const run = await home.cli(['token', 'sandbox'], { ...env, OAUTH_CLI_STORE: '' }, 15_000)
      expect(run.ms).toBeLessThan(BOUND_MS)
      expect(run.exitCode, run.stderr).toBe(0)
      expect(run.stdout).toBe('at-planted-0123456789\n')
    })
  })

  it('login --with-token returns within 5 s, stored in the file store', async () => {
    await withHome(async (home, env) => {
      const run = await home.cli(['login', 'sandbox', '--with-token'], { ...env, OAUTH_CLI_STORE: '' }, 15_000, 'tok-pasted-123\n')
      expect(run.ms).toBeLessThan(BOUND_MS)
      expect(run.exitCode, run.stderr).toBe(0)
      expect(run.stderr).toMatch(/file store/)
    })
  })

  it('--store keychain fails within 5 s with a clear error naming the bus, exit 5 (a store that does not answer is a timeout)', async () => {
    await withHome(async (home, env) => {
      const run = await home.cli(['token', 'sandbox', '--store', 'keychain'], { ...env, OAUTH_CLI_STORE: '' }, 15_000)
      expect(run.ms).toBeLessThan(BOUND_MS)
      expect(run.exitCode).toBe(5)
      expect(run.stderr).toMatch(/keychain/i)
      expect(run.stderr).toMatch(/D-Bus|did not answer/)
    })
  })
})

describe.skipIf(process.platform !== 'linux')('the keychain fall-back notice', { timeout: 30_000 }, () => {
  it('is said once per machine, short, on every command alike; --verbose says why each time', async () => {
    await withHome(async (home, env) => {
      await home.plant(sandboxCredential())
      const auto = { ...env, OAUTH_CLI_STORE: '' }
      const first = await home.cli(['status'], auto, 15_000)
      expect(first.exitCode, first.stderr).toBe(0)
      const notice = first.stderr.split('\n').filter((l) => /keychain/i.test(l))
      expect(notice).toHaveLength(1)
      expect(notice[0]!.length).toBeLessThan(220)
      expect(notice[0]).not.toMatch(/did not answer|D-Bus/)
      // Remembered: the next commands neither probe (no new connection to the bus) nor repeat it.
      const connections = sockets.length
      for (const args of [['token', 'sandbox'], ['status'], ['status', '--json'], ['logout', 'sandbox', '--profile', 'none', '--local']]) {
        const again = await home.cli(args, auto, 15_000)
        expect(again.stderr, args.join(' ')).not.toMatch(/keychain/i)
      }
      expect(sockets.length).toBe(connections)
      const verbose = await home.cli(['status', '--verbose'], auto, 15_000)
      expect(verbose.stderr).toMatch(/no OS keychain available \(the D-Bus session bus did not/)
    })
  })

  it('is said again, and the keychain probed again, when the D-Bus address changes', async () => {
    await withHome(async (home, env) => {
      await home.plant(sandboxCredential())
      const auto = { ...env, OAUTH_CLI_STORE: '' }
      expect((await home.cli(['status'], auto, 15_000)).stderr).toMatch(/keychain/i)
      const moved = await home.cli(['status'], { ...auto, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'gone')}` }, 15_000)
      expect(moved.stderr).toMatch(/keychain/i)
    })
  })

  it('without any D-Bus session bus, goes straight to the file store without probing', async () => {
    await withHome(async (home, env) => {
      await home.plant(sandboxCredential())
      const { DBUS_SESSION_BUS_ADDRESS: _bus, ...noBus } = env
      const run = await home.cli(['token', 'sandbox'], { ...noBus, OAUTH_CLI_STORE: '', XDG_RUNTIME_DIR: join(dir, 'no-such-runtime-dir') }, 15_000)
      expect(run.exitCode, run.stderr).toBe(0)
      expect(run.stdout).toBe('at-planted-0123456789\n')
      expect(run.stderr).toMatch(/no OS keychain here/)
    })
  })
})

const DBUS_DAEMON = ['/usr/bin/dbus-daemon', '/bin/dbus-daemon'].find((p) => existsSync(p))

describe.skipIf(process.platform !== 'linux' || !DBUS_DAEMON)('a Secret Service that never answers, on a live session bus', { timeout: 30_000 }, () => {
  let daemon: ChildProcess
  let service: ChildProcess
  let busAddress: string

  beforeAll(async () => {
    daemon = spawn(DBUS_DAEMON!, ['--session', '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] })
    busAddress = (await firstLine(daemon)).trim()
    service = spawn(process.execPath, [fileURLToPath(new URL('./hung-secret-service.mjs', import.meta.url))], {
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: busAddress },
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    expect((await firstLine(service)).trim()).toBe('ready')
  })

  afterAll(() => {
    service?.kill('SIGKILL')
    daemon?.kill('SIGKILL')
  })

  it('token falls back within 5 s, and --store keychain fails within 5 s naming the Secret Service', async () => {
    await withHome(async (home, env) => {
      await home.plant(sandboxCredential())
      const live = { ...env, OAUTH_CLI_STORE: '', DBUS_SESSION_BUS_ADDRESS: busAddress }
      const auto = await home.cli(['token', 'sandbox'], live, 15_000)
      expect(auto.ms).toBeLessThan(BOUND_MS)
      expect(auto.exitCode, auto.stderr).toBe(0)
      expect(auto.stdout).toBe('at-planted-0123456789\n')
      const strict = await home.cli(['token', 'sandbox', '--store', 'keychain'], live, 15_000)
      expect(strict.ms).toBeLessThan(BOUND_MS)
      expect(strict.exitCode).toBe(5)
      expect(strict.stderr).toMatch(/Secret Service .*did not answer/)
      expect(strict.stderr).toMatch(/unlock/)
      expect(strict.stderr).toContain('--store file')
    })
  })
})

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => reject(new Error(`no output from ${child.spawnfile}`)), 10_000)
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk
      if (text.includes('\n')) {
        clearTimeout(timer)
        resolve(text.slice(0, text.indexOf('\n')))
      }
    })
    child.once('exit', () => reject(new Error(`${child.spawnfile} exited early`)))
  })
}
