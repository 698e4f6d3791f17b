/**
 * Shared set-up for the end-to-end tests: a fake provider, a temp HOME with a
 * config pointing at it, and a `cli()` bound to that environment.
 */
import { readdirSync, readFileSync, watch } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { systemClock } from '../../src/platform/clock'
import { refreshLockName } from '../../src/session/save-issued'
import { createFileLocker } from '../../src/store/lock'
import { startFakeProvider, type FakeProvider, type FakeProviderOptions, type RecordedRequest } from '../support/fake-provider'
import { BROWSER_FOLLOW, runCli, spawnCli, type CliOptions, type CliRun, type SpawnedCli } from '../support/run-cli'
import { makeTempHome, type TempHome } from '../support/temp-home'

export interface WorldOptions {
  provider?: FakeProviderOptions
  /** Merged over the default `acme` entry; a key set to `undefined` is removed. */
  acme?: Record<string, unknown> | ((fp: FakeProvider) => Record<string, unknown>)
  /** Other provider entries (or overrides of built-in ones), given the provider's URL. */
  providers?: (fp: FakeProvider) => Record<string, Record<string, unknown>>
}

export interface World {
  fp: FakeProvider
  home: TempHome
  /** The environment every run gets: temp HOME, file store, the client secret, BROWSER. */
  env: Record<string, string>
  configPath: string
  cli(args: string[], opts?: Partial<CliOptions>): Promise<CliRun>
  /** A CLI in the background; still running when the world closes, it is stopped (SIGTERM, then SIGKILL). */
  spawn(args: string[], opts?: Partial<CliOptions>): SpawnedCli
  /** A `$BROWSER` that does nothing (as when the user never finishes in the browser). */
  noopBrowser(): string
  /** A `$BROWSER` wrapping browser-follow.mjs with flags; its log lands in `logFile`. */
  followBrowser(flags?: string[]): { path: string; log(): string }
  close(): Promise<void>
}

/** The `acme` provider entry of the contract's test config. */
export function acmeEntry(fp: FakeProvider): Record<string, unknown> {
  return {
    authorization_endpoint: `${fp.url}/authorize`,
    token_endpoint: `${fp.url}/token`,
    revocation_endpoint: `${fp.url}/revoke`,
    api_base_url: `${fp.url}/api`,
    client_id: 'test-client',
    redirect_uri: 'http://127.0.0.1:0/callback',
    token_endpoint_auth_method: 'client_secret_basic',
  }
}

function withoutUndefined(entry: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined))
}

export async function createWorld(options: WorldOptions = {}): Promise<World> {
  const fp = await startFakeProvider(options.provider)
  const home = makeTempHome()
  const configPath = home.writeConfig({
    providers: {
      acme: withoutUndefined({ ...acmeEntry(fp), ...(typeof options.acme === 'function' ? options.acme(fp) : options.acme) }),
      ...options.providers?.(fp),
    },
  })
  const env = { ...home.env, ACME_CLIENT_SECRET: fp.clientSecret, BROWSER: BROWSER_FOLLOW }
  let scripts = 0
  const spawned: SpawnedCli[] = []
  const world: World = {
    fp,
    home,
    env,
    configPath,
    cli: (args, opts = {}) => runCli(args, { ...opts, env: { ...env, ...opts.env } }),
    spawn: (args, opts = {}) => {
      const cli = spawnCli(args, { ...opts, env: { ...env, ...opts.env } })
      spawned.push(cli)
      return cli
    },
    noopBrowser: () => home.writeExecutable(`noop-browser-${++scripts}`, '#!/bin/sh\nexit 0\n'),
    followBrowser(flags = []) {
      const n = ++scripts
      const logFile = join(home.home, `follow-${n}.log`)
      const quoted = [process.execPath, BROWSER_FOLLOW, ...flags, '--log', logFile].map((a) => `'${a}'`).join(' ')
      const path = home.writeExecutable(`follow-browser-${n}`, `#!/bin/sh\nexec ${quoted} "$1"\n`)
      return { path, log: () => readOrEmpty(logFile) }
    },
    async close() {
      // A CLI the test left running (it failed before stopping a sandbox or a login) ends first,
      // before its provider and HOME go away under it.
      await Promise.all(spawned.map((cli) => cli.stop()))
      await fp.close()
      home.cleanup()
    },
  }
  return world
}

/**
 * `it` with a `makeWorld` fixture: every world a test makes is closed when that
 * test ends, which stays correct when tests in a file run concurrently.
 */
export type MakeWorld = (options?: WorldOptions) => Promise<World>

export const it = test.extend<{ makeWorld: MakeWorld }>({
  // eslint-disable-next-line no-empty-pattern
  makeWorld: async ({}, use) => {
    const worlds: World[] = []
    await use(async (options) => {
      const world = await createWorld(options)
      worlds.push(world)
      return world
    })
    await Promise.all(worlds.map((w) => w.close()))
  },
})

/** Per-file suite options: tests are I/O-bound (spawned CLIs), so they run concurrently. */
export const SUITE = { concurrent: true, timeout: 30_000 } as const

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/** The `status --json` / `login --json` object, as the contract names its keys. */
export interface CredentialSummary {
  provider: string
  profile: string
  token_type: string
  scope: string[] | string
  expires_at: string | null
  refreshable: boolean
  store: string
}

/** A scope field as a list, whether the CLI prints a list or a string. */
export function scopesOf(summary: CredentialSummary): string[] {
  return Array.isArray(summary.scope) ? summary.scope : summary.scope.split(/[\s,]+/).filter(Boolean)
}

/** Parses stdout as JSON, failing with the whole run when it is not. */
export function parseStdout<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T
  } catch {
    throw new Error(`stdout is not JSON\n--- exit ${run.exitCode}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`)
  }
}

/** Asserts the exit code with the run's output in the failure message. */
export function expectExit(run: CliRun, code: number | number[]): void {
  const allowed = Array.isArray(code) ? code : [code]
  expect(allowed, `exit ${run.exitCode}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`).toContain(run.exitCode)
}

/** Token endpoint requests (either path) with their parsed parameters. */
export function tokenRequests(fp: FakeProvider): Array<RecordedRequest & { params: URLSearchParams }> {
  return fp.requests
    .filter((r) => r.method === 'POST' && (r.path === '/token' || r.path === '/v2/token'))
    .map((r) => ({ ...r, params: paramsOf(r) }))
}

export function grantTypes(fp: FakeProvider): string[] {
  return tokenRequests(fp).map((r) => r.params.get('grant_type') ?? '')
}

export function paramsOf(r: RecordedRequest): URLSearchParams {
  if ((r.headers['content-type'] ?? '').startsWith('application/json')) {
    const obj = JSON.parse(r.body || '{}') as Record<string, unknown>
    return new URLSearchParams(Object.entries(obj).map(([k, v]) => [k, String(v)]))
  }
  return new URLSearchParams(r.body)
}

export function apiRequests(fp: FakeProvider, path?: string): RecordedRequest[] {
  return fp.requests.filter((r) => r.path.startsWith('/api') && (path === undefined || r.path === path))
}

/** Logs in to `acme` through the browser flow and asserts it worked. */
export async function loginAcme(world: World, extraArgs: string[] = []): Promise<CliRun> {
  const run = await world.cli(['login', 'acme', ...extraArgs])
  expectExit(run, 0)
  return run
}

export async function statusJson(world: World): Promise<CredentialSummary[]> {
  const run = await world.cli(['status', '--json'])
  expectExit(run, 0)
  return parseStdout<CredentialSummary[]>(run)
}

/** The value of the last element; fails the test when there is none. */
export function last<T>(items: readonly T[]): T {
  expect(items.length).toBeGreaterThan(0)
  return items[items.length - 1]!
}

/** Resolves once another process tries to take a lock in `dir` (its aside file appears), or fails after `ms`. */
export function lockAttempted(dir: string, ms = 15_000): { seen: Promise<void>; close(): void } {
  let close = (): void => undefined
  const seen = new Promise<void>((resolve, reject) => {
    const watcher = watch(dir, (_event, name) => {
      // A waiter's attempt writes `<name>.lock.<nonce>.tmp` (not the holder's `.beat.tmp` or a guard's staging).
      if (name !== null && /\.lock\.[0-9a-f]{16}\.tmp$/.test(name)) resolve()
    })
    const timer = setTimeout(() => reject(new Error(`nobody asked for a lock in ${dir} within ${ms} ms`)), ms)
    close = () => {
      clearTimeout(timer)
      watcher.close()
    }
  })
  return { seen, close }
}

/**
 * Ctrl-C while a refresh waits for the lock: this test process holds the
 * refresh lock (alive, on this host: never taken over), spawns `args`, and
 * sends SIGINT once it asks for the lock; the lock frees right after, so a
 * refresh that went on regardless would take it then. Asserts what a cancel
 * must leave: exit 130 with "cancelled" last, no token printed, nothing sent
 * but the login, the stored credential as it was, no temp or lock file.
 */
export async function expectCtrlCWhileLockHeldChangesNothing(world: World, args: string[], opts: Partial<CliOptions> = {}): Promise<void> {
  await expectInterruptWhileLockHeldChangesNothing(world, args, opts)
}

/** As {@link expectCtrlCWhileLockHeldChangesNothing}, for any signal that ends the command as Ctrl-C does (exit 128 + its number). */
export async function expectInterruptWhileLockHeldChangesNothing(
  world: World,
  args: string[],
  opts: Partial<CliOptions> = {},
  { signal, exitCode, said }: { signal: NodeJS.Signals; exitCode: number; said: string } = { signal: 'SIGINT', exitCode: 130, said: 'oauth-cli: cancelled' },
): Promise<void> {
  const dataDir = join(world.env.XDG_DATA_HOME!, 'oauth-cli')
  const locks = join(dataDir, 'locks')
  const stored = readFileSync(join(dataDir, 'credentials', 'acme@default.json'), 'utf8')
  let cli!: ReturnType<World['spawn']>
  await createFileLocker(locks, systemClock).withLock(refreshLockName({ provider: 'acme', profile: 'default' }), async () => {
    const attempt = lockAttempted(locks)
    try {
      cli = world.spawn(args, opts)
      await attempt.seen
    } finally {
      attempt.close()
    }
    cli.child.kill(signal)
    // The lock frees only once the CLI has said it stopped: a signal is handled on the event loop, so a lock freed at
    // once could be taken, and the refresh sent, before the handler ran (then the answer is awaited and stored, as
    // for a Ctrl-C just after sending: right, but not the case this checks).
    await cli.waitForStderr(new RegExp(said.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
  })
  const run = await cli.exited
  expectExit(run, exitCode)
  expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(said)
  expect(run.stdout).toBe('')
  expect(grantTypes(world.fp)).toEqual(['authorization_code'])
  expect(readFileSync(join(dataDir, 'credentials', 'acme@default.json'), 'utf8')).toBe(stored)
  expect(readdirSync(join(dataDir, 'credentials'))).toEqual(['acme@default.json'])
  expect(readdirSync(locks)).toEqual([])
}

/** A refresh as the CLI does it (a lock holder's, by hand), spending the stored refresh token at the provider: the rotated pair. */
export async function refreshAtProvider(world: World, refreshToken: string): Promise<{ access_token: string; refresh_token: string; expires_in: number }> {
  const response = await fetch(`${world.fp.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${world.fp.clientId}:${world.fp.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  })
  expect(response.status).toBe(200)
  return (await response.json()) as { access_token: string; refresh_token: string; expires_in: number }
}
