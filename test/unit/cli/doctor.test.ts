import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { InputError } from '../../../src/session/errors'
import {
  checkBrowser,
  checkClock,
  checkExtraCa,
  checkProxy,
  checkRedirectPort,
  executeDoctor,
  runDoctor,
  type CheckJson,
  type CheckResult,
} from '../../../src/cli/commands/doctor'
import type { DoctorOptions } from '../../../src/cli/commands/doctor'
import { formatError } from '../../../src/cli/report'
import { TransportError } from '../../../src/http/types'
import { ListenError, type CallbackServer, type CallbackServerOptions } from '../../../src/oauth/callback-server'
import { StoreError } from '../../../src/store/credential-store'
import { makeTestDeps, makeTestHome, MemoryStore, recordingHttp, type TestDepsOverrides } from '../../fakes'
import { ACME, provider, stored } from '../session/helpers'

function options(overrides: Partial<DoctorOptions> = {}): DoctorOptions {
  return { profile: 'default', json: false, verbose: false, store: 'auto', ...overrides }
}

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'

/** A Linux box with no Secret Service, no display, and a file store holding one credential. */
async function headlessDeps(overrides: TestDepsOverrides = {}) {
  const homedir = makeTestHome()
  const fileStore = new MemoryStore('file', join(homedir, '.local/share/oauth-cli'))
  await fileStore.set(stored())
  return makeTestDeps({
    homedir,
    openStore: async (choice) => {
      if (choice === 'keychain') {
        throw new StoreError('unavailable', 'OS keychain', 'the OS keychain is not available: no Secret Service on the session bus')
      }
      return fileStore
    },
    ...overrides,
  })
}

/** A listener that binds nothing; `onClose` counts releases. */
function fakeServer(opts: CallbackServerOptions, onClose: () => void = () => {}): CallbackServer {
  return {
    redirectUri: opts.redirectUri.toString(),
    setLandingRedirect: () => undefined,
    waitForCallback: () => new Promise(() => {}),
    close: async () => onClose(),
  }
}

const byName = (results: CheckResult[], name: string) => results.find((r) => r.name === name)

describe('doctor on a machine without a keychain', () => {
  it('warns about the keychain and the display, reports the file store, and exits 0', async () => {
    const deps = await headlessDeps()
    expect(await executeDoctor(options(), deps)).toBe(0)
    expect(deps.io.stdoutText).toBe(
      [
        '! keychain     no OS keychain (no Secret Service on the session bus); credentials go to the file store',
        '               fix: run a Secret Service (gnome-keyring, KWallet, KeePassXC) in this session, or set OAUTH_CLI_PASSPHRASE to encrypt the file store',
        `✓ file store   ${deps.homedir}/.local/share/oauth-cli: 1 credential (not encrypted; set OAUTH_CLI_PASSPHRASE to encrypt it)`,
        `✓ config file  ${deps.homedir}/.config/oauth-cli/config.json does not exist (built-in providers only)`,
        '✓ proxy        no proxy variables set (direct connections)',
        '✓ extra CA     NODE_EXTRA_CA_CERTS not set (the system CAs only)',
        '! browser      no browser can be opened here (no display): login offers the device flow where the provider has one, else prints the URL and accepts the redirected URL pasted back',
        '               fix: open the URL on a machine with a browser and paste the address it lands on, use --device or --remote, or forward the redirect port (ssh -L 3000:localhost:3000 …)',
        '',
      ].join('\n'),
    )
    expect(deps.io.stderrText).toBe("to check a provider's clock and redirect port too: oauth-cli doctor <provider>\n")
  })

  it('calls the missing keychain fine when the file store was chosen', async () => {
    const deps = await headlessDeps({ env: { OAUTH_CLI_STORE: 'file' } })
    expect(byName(await runDoctor(options(), deps), 'keychain')?.ok).toBe(true)
    expect(byName(await runDoctor(options({ store: 'file' }), await headlessDeps()), 'keychain')?.ok).toBe(true)
  })

  it('warns when the keychain does not answer in time', async () => {
    const deps = makeTestDeps({
      openStore: async (choice) => {
        if (choice === 'keychain') throw new StoreError('timeout', 'OS keychain', 'the OS keychain did not answer within 5000 ms')
        return new MemoryStore()
      },
    })
    expect(byName(await runDoctor(options(), deps), 'keychain')).toMatchObject({ ok: 'warn', fix: 'unlock the keychain, or use --store file' })
  })

  it('fails, and exits 1, when the file store cannot be read', async () => {
    const deps = makeTestDeps({
      env: { OAUTH_CLI_PASSPHRASE: 'wrong' },
      openStore: async () => {
        const store = new MemoryStore('file', '/data')
        store.list = async () => {
          throw new StoreError('bad_passphrase', '/data', 'the file store at /data cannot be decrypted with OAUTH_CLI_PASSPHRASE')
        }
        return store
      },
    })
    expect(await executeDoctor(options(), deps)).toBe(1)
    expect(deps.io.stdoutText).toContain('✗ file store')
    expect(deps.io.stdoutText).toContain('fix: set OAUTH_CLI_PASSPHRASE to the passphrase the file store was written with')
  })

  it('prints the checks as JSON with --json', async () => {
    const deps = await headlessDeps()
    await executeDoctor(options({ json: true }), deps)
    const results = JSON.parse(deps.io.stdoutText) as CheckJson[]
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['keychain', 'warn'], ['file store', 'ok'], ['config file', 'ok'], ['proxy', 'ok'], ['extra CA', 'ok'], ['browser', 'warn'],
    ])
  })

  it('colours the marks only when colour is allowed on a terminal', async () => {
    const deps = await headlessDeps()
    deps.io.stdout.isTTY = true
    deps.io.color = true
    await executeDoctor(options(), deps)
    expect(deps.io.stdoutText).toContain('\u001b[32m✓\u001b[39m file store')
  })
})

describe('environment checks', () => {
  it('shows the proxy variables the client uses, with the user name and password left out', () => {
    const result = checkProxy({ HTTPS_PROXY: 'http://alice:hunter2@proxy.example:3128', NO_PROXY: 'localhost,.internal' })
    expect(result).toEqual({ name: 'proxy', ok: true, detail: 'HTTPS_PROXY=http://proxy.example:3128 (with credentials, not shown), NO_PROXY=localhost,.internal' })
    expect(JSON.stringify(result)).not.toContain('hunter2')
    expect(JSON.stringify(result)).not.toContain('alice')
  })

  it('passes a proxy variable without a scheme, which the client reads as http://', () => {
    expect(checkProxy({ HTTPS_PROXY: 'proxy.example:3128' })).toMatchObject({ ok: true })
  })

  it('fails on a proxy variable that is not a URL, in the words the client uses', () => {
    expect(checkProxy({ https_proxy: 'http://ci:hunter2@proxy:3128:x' })).toEqual({
      name: 'proxy',
      ok: false,
      detail: 'https_proxy is not the URL of a proxy',
      fix: "set https_proxy to the proxy's URL, such as http://proxy.example:3128 (http, https or socks5), or unset it",
    })
  })

  it.each([
    [undefined, true, /not set/],
    ['/ca.pem', true, /\/ca\.pem: 2 certificates/],
    ['/missing.pem', false, /does not exist/],
    ['/junk.pem', false, /holds no PEM certificate/],
  ])('checks NODE_EXTRA_CA_CERTS=%s', async (path, ok, detail) => {
    const deps = makeTestDeps({
      env: path ? { NODE_EXTRA_CA_CERTS: path } : {},
      files: { '/ca.pem': PEM + PEM, '/junk.pem': 'not a certificate' },
    })
    expect(await checkExtraCa(deps)).toMatchObject({ ok, detail: expect.stringMatching(detail) })
  })

  it('says once why NODE_EXTRA_CA_CERTS cannot be read, as the file reader put it', async () => {
    const deps = makeTestDeps({
      env: { NODE_EXTRA_CA_CERTS: '/etc' },
      readTextFile: async (path: string) => {
        throw new InputError(`cannot read ${path}: it is a directory`, 'give the path of a file')
      },
    })
    expect(await checkExtraCa(deps)).toMatchObject({ ok: false, detail: 'NODE_EXTRA_CA_CERTS: cannot read /etc: it is a directory' })
  })

  it.each([
    // Commands that exist (node itself): doctor checks that $BROWSER's commands can be found.
    [{ BROWSER: `${process.execPath} --new-window:${process.execPath}` }, 'linux', true, `$BROWSER (${process.execPath} --new-window)`],
    [{ BROWSER: 'no-such-browser-xyz --new-window', PATH: '/nonexistent' }, 'linux', false, '$BROWSER names "no-such-browser-xyz", which cannot be found or run'],
    [{ CI: 'true', DISPLAY: ':0' }, 'linux', 'warn', expect.stringMatching(/^no browser can be opened here \(CI\)/)],
    [{ SSH_CONNECTION: '10.0.0.1 22 10.0.0.2 5555' }, 'darwin', 'warn', expect.stringMatching(/\(SSH session\)/)],
    [{ WAYLAND_DISPLAY: 'wayland-0' }, 'linux', true, "the system's default browser"],
    [{}, 'darwin', true, "the system's default browser"],
  ] as const)('reports the browser for %j on %s without opening one', async (env, platform, ok, detail) => {
    expect(await checkBrowser(env, platform)).toMatchObject({ ok, detail })
  })
})

describe('provider checks', () => {
  const livechat = provider('livechat')

  function dated(date: string | undefined) {
    return recordingHttp(() => new Response(null, { status: 404, headers: date ? { date } : {} }))
  }

  it('sends one HEAD to the token endpoint origin and accepts a small skew', async () => {
    const http = dated('Wed, 31 Dec 2025 23:59:30 GMT')
    const result = await checkClock(livechat, makeTestDeps({ http }))
    expect(http.calls.map((c) => [c.method, c.url])).toEqual([['HEAD', 'https://accounts.livechat.com/']])
    expect(result).toEqual({ name: 'clock', ok: true, detail: 'local clock is 30 s ahead of https://accounts.livechat.com' })
  })

  it('warns when the clock is more than a minute off', async () => {
    const result = await checkClock(livechat, makeTestDeps({ http: dated('Thu, 01 Jan 2026 00:02:00 GMT') }))
    expect(result).toMatchObject({ ok: 'warn', detail: expect.stringMatching(/^local clock is 120 s behind https:\/\/accounts\.livechat\.com/) })
  })

  it('warns without a Date header, and fails when the provider cannot be reached', async () => {
    expect(await checkClock(livechat, makeTestDeps({ http: dated(undefined) }))).toMatchObject({ ok: 'warn' })
    const offline = recordingHttp(() => {
      throw new TransportError('dns', 'https://accounts.livechat.com/', 'getaddrinfo ENOTFOUND accounts.livechat.com')
    })
    expect(await checkClock(livechat, makeTestDeps({ http: offline }))).toMatchObject({
      ok: false,
      detail: 'cannot reach https://accounts.livechat.com: getaddrinfo ENOTFOUND accounts.livechat.com',
    })
  })

  it('binds the redirect port the way login would, then releases it', async () => {
    const seen: CallbackServerOptions[] = []
    let closed = 0
    const deps = makeTestDeps({
      listen: async (opts) => {
        seen.push(opts)
        return fakeServer(opts, () => void closed++)
      },
    })
    const result = await checkRedirectPort(livechat, deps)
    expect(result).toEqual({ name: 'redirect port', ok: true, detail: 'port 3000 (localhost) is free for http://localhost:3000/callback' })
    expect(seen.map((o) => o.redirectUri.toString())).toEqual(['http://localhost:3000/callback'])
    expect(closed).toBe(1)
  })

  it('fails with what to do when the redirect port is taken', async () => {
    const deps = makeTestDeps({
      listen: async () => {
        throw new ListenError('port_in_use', '127.0.0.1', 3000)
      },
    })
    expect(await checkRedirectPort(livechat, deps)).toMatchObject({
      ok: false,
      detail: 'port 3000 on 127.0.0.1 is in use, so http://localhost:3000/callback cannot receive the login callback',
      fix: expect.stringMatching(/--port <n>/),
    })
  })

  it.each([
    [{ ...ACME, redirect_uri: 'https://app.example.com/callback' }, /not a loopback address/],
    [{ ...ACME, redirect_uri: 'http://127.0.0.1:0/callback' }, /picks a free port/],
  ])('needs no port for %j', async (entry, detail) => {
    expect(await checkRedirectPort(provider('acme', entry), makeTestDeps())).toMatchObject({ ok: true, detail: expect.stringMatching(detail) })
  })

  it('adds the clock and port checks when a provider is named', async () => {
    const deps = await headlessDeps({
      http: dated('Thu, 01 Jan 2026 00:00:00 GMT'),
      listen: async (opts) => fakeServer(opts),
    })
    const results = await runDoctor(options({ provider: 'livechat' }), deps)
    expect(results.slice(-2).map((r) => [r.name, r.ok])).toEqual([['clock', true], ['redirect port', true]])
  })

  it('suggests the closest provider name on a typo (exit 2)', async () => {
    const error = await runDoctor(options({ provider: 'livechta' }), makeTestDeps()).catch((e: unknown) => e)
    const report = formatError(error, { verbose: false })
    expect(report.exitCode).toBe(2)
    expect(report.text).toMatch(/^oauth-cli: unknown provider "livechta"; known providers: livechat, livestorm, sandbox, tidio\ndid you mean "livechat"\?\n/)
  })
})

describe('doctor flags', () => {
  it('parses doctor [provider] with the common options', async () => {
    const { runCli } = await import('../../../src/cli/program')
    const seen: DoctorOptions[] = []
    const spy = {
      doctor: async (opts: DoctorOptions) => {
        seen.push(opts)
        return 0 as const
      },
    }
    await runCli(['doctor'], makeTestDeps(), spy)
    await runCli(['doctor', 'livechat', '--json', '--store', 'file'], makeTestDeps(), spy)
    expect(seen).toEqual([
      expect.objectContaining({ provider: undefined, json: false, store: 'auto' }),
      expect.objectContaining({ provider: 'livechat', json: true, store: 'file' }),
    ])
  })
})
