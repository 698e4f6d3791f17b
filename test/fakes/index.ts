/**
 * Test doubles for the Deps ports: no network (unless a test passes an
 * HttpClient), no keychain, no real time.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Deps } from '../../src/cli/deps'
import type { HttpClient, HttpRequestInit } from '../../src/http/types'
import { createKnownSecrets } from '../../src/http/known-secrets'
import type { CallbackServer, CallbackServerOptions, ReceivedCallback, StartCallbackServer } from '../../src/oauth/callback-server'
import type { Browser, OpenResult } from '../../src/platform/browser-port'
import type { Clock } from '../../src/platform/clock'
import type { IO } from '../../src/platform/io'
import {
  toAccountKey,
  type CredentialKey,
  type CredentialStore,
  type Hold,
  type Locker,
  type StoreLookup,
  type StoredCredential,
  type StoreKind,
} from '../../src/store/credential-store'

/**
 * Time under the test's control. By default a sleep returns at once and moves
 * the clock (device polling, backoff). With `manual`, sleeps wait until
 * `advance()` passes their deadline, so a timeout can race real events.
 */
export class FakeClock implements Clock {
  sleeps: number[] = []
  private pending: Array<{ until: number; resolve: () => void }> = []
  private sleepWaiters: Array<() => void> = []
  constructor(
    public current = Date.parse('2026-01-01T00:00:00Z'),
    private readonly options: { manual?: boolean } = {},
  ) {}
  now(): number {
    return this.current
  }
  advance(ms: number): void {
    this.current += ms
    const due = this.pending.filter((p) => p.until <= this.current)
    this.pending = this.pending.filter((p) => p.until > this.current)
    for (const p of due) p.resolve()
  }
  /** Resolves once some code is sleeping on this clock (manual mode), with a bound. */
  async waitForSleep(timeoutMs = 5_000): Promise<void> {
    if (this.pending.length > 0) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('nothing slept on the fake clock')), timeoutMs)
      this.sleepWaiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason
    this.sleeps.push(ms)
    if (this.options.manual) queueMicrotask(() => this.sleepWaiters.splice(0).forEach((wake) => wake()))
    if (!this.options.manual) {
      this.current += ms
      return
    }
    await new Promise<void>((resolve, reject) => {
      const entry = { until: this.current + ms, resolve }
      this.pending.push(entry)
      signal?.addEventListener(
        'abort',
        () => {
          this.pending = this.pending.filter((p) => p !== entry)
          reject(signal.reason)
        },
        { once: true },
      )
    })
  }
}

export class BufferIO implements IO {
  out: Array<string | Uint8Array> = []
  err: string[] = []
  stdin: string
  lines: string[]
  color = false
  constructor(options: { stdin?: string; lines?: string[]; stdinIsTTY?: boolean } = {}) {
    this.stdin = options.stdin ?? ''
    this.lines = [...(options.lines ?? [])]
    this.stdinIsTTY = options.stdinIsTTY ?? false
  }
  readonly stdinIsTTY: boolean
  stdout = {
    write: (chunk: string | Uint8Array) => void this.out.push(chunk),
    isTTY: false,
  }
  stderr = {
    write: (chunk: string | Uint8Array) => void this.err.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()),
    isTTY: false,
  }
  get stdoutText(): string {
    return this.out.map((c) => (typeof c === 'string' ? c : Buffer.from(c).toString())).join('')
  }
  get stderrText(): string {
    return this.err.join('')
  }
  async readStdin(): Promise<string> {
    const text = this.stdin
    this.stdin = ''
    return text
  }
  async readLine(): Promise<string> {
    return this.lines.shift() ?? ''
  }
}

export class MemoryStore implements CredentialStore {
  readonly items = new Map<string, StoredCredential>()
  writes = 0
  constructor(readonly kind: StoreKind = 'file', readonly location = 'memory') {}
  async get(key: CredentialKey): Promise<StoreLookup> {
    const credential = this.items.get(toAccountKey(key))
    return credential ? { status: 'found', credential: structuredClone(credential) } : { status: 'missing' }
  }
  async set(credential: StoredCredential): Promise<void> {
    this.writes += 1
    this.items.set(toAccountKey(credential), structuredClone(credential))
  }
  async delete(key: CredentialKey): Promise<boolean> {
    return this.items.delete(toAccountKey(key))
  }
  async list(): Promise<StoredCredential[]> {
    return [...this.items.values()].map((c) => structuredClone(c))
  }
}

/** In-process mutual exclusion with the same contract as the file locker. */
export function memoryLocker(): Locker & { taken: string[] } {
  const tails = new Map<string, Promise<unknown>>()
  const taken: string[] = []
  return {
    taken,
    async withLock<T>(name: string, fn: (hold: Hold) => Promise<T>): Promise<T> {
      const previous = tails.get(name) ?? Promise.resolve()
      const run = previous.catch(() => undefined).then(() => {
        taken.push(name)
        return fn({ signal: new AbortController().signal, fence: `memory-${taken.length}`, holder: 'this test' })
      })
      tails.set(name, run)
      return run
    },
  }
}

export class RecordingBrowser implements Browser {
  opened: string[] = []
  constructor(
    private readonly result: (url: string) => Promise<OpenResult> = async () => ({ opened: true, via: 'test' }),
    private readonly unavailable?: string,
  ) {}
  unavailableReason(): string | undefined {
    return this.unavailable
  }
  async open(url: string): Promise<OpenResult> {
    this.opened.push(url)
    return this.result(url)
  }
}

const noListen: StartCallbackServer = async (): Promise<CallbackServer> => {
  throw new Error('this test did not expect a loopback listener')
}

const testHomes: string[] = []

/**
 * A new, empty home directory (0700, in the suite's temp dir that
 * test/support/global-setup.ts makes and removes; else under the system temp
 * dir, removed at exit). Tests may run as root, who can write anywhere: what
 * the code under test writes under the home (an emergency file, profiles.json,
 * a writability probe) must land in a temp dir, never in a real one.
 */
export function makeTestHome(): string {
  const suite = process.env.OAUTH_CLI_TEST_HOMES
  if (suite && existsSync(suite)) return mkdtempSync(join(suite, 'home-'))
  if (testHomes.length === 0) {
    process.once('exit', () => {
      for (const dir of testHomes) rmSync(dir, { recursive: true, force: true })
    })
  }
  const dir = mkdtempSync(join(tmpdir(), 'oauth-cli-test-home-'))
  testHomes.push(dir)
  return dir
}

export interface TestDepsOverrides extends Partial<Omit<Deps, 'http'>> {
  http?: HttpClient
  store?: CredentialStore
  files?: Record<string, string>
}

export function makeTestDeps(overrides: TestDepsOverrides = {}): Deps & { io: BufferIO; clock: FakeClock } {
  const store = overrides.store ?? new MemoryStore()
  const locker = memoryLocker()
  // Each Deps its own temp home; `files` may name paths under it as `~/…`.
  const homedir = overrides.homedir ?? makeTestHome()
  const files = Object.fromEntries(
    Object.entries(overrides.files ?? {}).map(([path, text]) => [path.startsWith('~/') ? join(homedir, path.slice(2)) : path, text]),
  )
  const http: HttpClient =
    overrides.http ??
    (async () => {
      throw new Error('this test did not expect an HTTP request')
    })
  const { http: _h, store: _s, files: _f, ...rest } = overrides
  return {
    io: new BufferIO(),
    env: {},
    cwd: '/work',
    homedir,
    platform: 'linux',
    clock: new FakeClock(),
    verbose: false,
    secrets: createKnownSecrets(),
    http: async () => http,
    browser: new RecordingBrowser(),
    openStore: async () => store,
    locker: async () => locker,
    listen: noListen,
    readTextFile: async (path) => files[path],
    readUnaskedFile: async (path) => files[path],
    ...rest,
  } as Deps & { io: BufferIO; clock: FakeClock }
}

/** A recording HttpClient answering from a handler. */
export function recordingHttp(
  handler: (url: string, init: { method: string; headers: Headers; body: string }) => Response | Promise<Response>,
): HttpClient & { calls: Array<{ url: string; method: string; headers: Headers; body: string }> } {
  const calls: Array<{ url: string; method: string; headers: Headers; body: string }> = []
  const client = (async (url: string | URL, init: HttpRequestInit = {}) => {
    const body =
      init.body == null ? '' : typeof init.body === 'string' ? init.body : init.body instanceof URLSearchParams ? init.body.toString() : Buffer.from(init.body).toString()
    const call = { url: url.toString(), method: init.method ?? 'GET', headers: new Headers((init.headers ?? {}) as HeadersInit), body }
    calls.push(call)
    return handler(call.url, call)
  }) as unknown as HttpClient & { calls: typeof calls }
  client.calls = calls
  return client
}

/** A JSON answer: status first, as in every test double here. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })
}

/** An in-memory listener: `deliver` plays the browser reaching the redirect URI. */
export function scriptedLoopback() {
  const started: CallbackServerOptions[] = []
  const responses: Array<{ ok: boolean }> = []
  let deliver!: (params: URLSearchParams) => void
  let landing: string | undefined
  const listen: StartCallbackServer = async (options) => {
    started.push(options)
    const callback = new Promise<ReceivedCallback>((resolve, reject) => {
      deliver = (params) => resolve({ params, respond: async (outcome) => void responses.push({ ok: outcome.ok }) })
      options.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true })
    })
    callback.catch(() => undefined)
    const redirectUri = options.redirectUri.href.replace(':0/', ':45678/')
    const server: CallbackServer = {
      redirectUri,
      setLandingRedirect: (url) => ((landing = url), new URL('/', redirectUri).href),
      waitForCallback: () => callback,
      close: async () => {},
    }
    return server
  }
  return { listen, started, responses, deliver: (p: URLSearchParams) => deliver(p), landing: () => landing }
}


type ErrorClass<T> = abstract new (...args: never[]) => T

/** The error a promise rejects with, checked to be an instance of `kind` when given. */
export async function rejectionOf<T extends Error = Error>(promise: Promise<unknown>, kind?: ErrorClass<T>): Promise<T> {
  const outcome = await promise.then(
    () => ({ rejected: false as const }),
    (error: unknown) => ({ rejected: true as const, error }),
  )
  if (!outcome.rejected) throw new Error('expected a rejection')
  if (kind && !(outcome.error instanceof kind)) throw new Error(`expected a ${kind.name}, got ${String(outcome.error)}`)
  return outcome.error as T
}

/** The error a function throws, checked to be an instance of `kind`. */
export function thrownBy<T extends Error>(run: () => unknown, kind: ErrorClass<T>): T {
  try {
    run()
  } catch (error) {
    if (!(error instanceof kind)) throw new Error(`expected a ${kind.name}, got ${String(error)}`)
    return error
  }
  throw new Error(`expected a ${kind.name}`)
}

export { FIXTURE_ACCESS_TOKEN, FIXTURE_CLIENT_SECRET, FIXTURE_REFRESH_TOKEN, makeCredential } from './credential'
