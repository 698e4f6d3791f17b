/**
 * The wiring: the one Deps object, built once in main-full.ts (and the fast
 * path) from the flags scanGlobalFlags read, and passed down. The ports
 * themselves are the session layer's (`session/deps.ts`). Expensive members
 * (undici, the keychain addon, `open`) are loaded on first use, so a command
 * that does not need them never pays for them.
 */
import { createKnownSecrets, credentialSecrets, type KnownSecrets } from '../http/known-secrets'
import type { HttpClient } from '../http/types'
import { browserUnavailableReason, type Browser } from '../platform/browser-port'
import { systemClock, type Clock } from '../platform/clock'
import { reasonOf, type IO } from '../platform/io'
import { createNodeIO } from '../platform/node-io'
import { resolvePaths } from '../platform/paths'
import { secretEnvValues } from '../platform/secret-env'
import { readTrustedTextFile } from '../platform/trusted-file'
import { nothingAt } from '../platform/absent'
import type { Env, ProcessLike } from '../platform/process'
import { readFileSync } from 'node:fs'
import type { SessionDeps } from '../session/deps'
import { InputError } from '../session/errors'
import type { GlobalFlags } from './options'
import type { CredentialKey, CredentialStore, Locker, StoreChoice, StoredCredential } from '../store/credential-store'

export type { Env }

/** What a command gets: the session's ports, plus what only the CLI reads. */
export interface Deps extends SessionDeps {
  /** `--verbose`: HTTP trace (redacted) on stderr. */
  verbose: boolean
  platform: NodeJS.Platform
  /** Closes what the opened stores hold open (the shared store's one connection); called once before exit. */
  closeStores?(): Promise<void>
  /**
   * Every secret value this process has seen (environment, credentials read or
   * written, requests sent): error text and the trace redact each one whole.
   */
  secrets: KnownSecrets
}

export interface CreateDepsOptions {
  /** Where one-line notices (the keychain fall-back) go; stderr by default. */
  notice?: (line: string) => void
}

export async function createDeps(proc: ProcessLike, flags: GlobalFlags, options: CreateDepsOptions = {}): Promise<Deps> {
  const env: Env = { ...proc.env }
  const home = env.HOME || (await import('node:os')).homedir()
  const io = createNodeIO(proc, { noColor: flags.noColor, env })
  const secrets = createKnownSecrets(() => secretEnvValues(env))
  if (flags.storePasswordInArgv) warnStorePasswordInArgv(io)
  let http: Promise<HttpClient> | undefined
  const deps: Deps = {
    io,
    env,
    cwd: proc.cwd(),
    homedir: home,
    platform: proc.platform,
    clock: systemClock,
    verbose: flags.verbose,
    secrets,
    http: () => (http ??= buildHttp(env, flags, io, secrets)),
    onRetry: flags.verbose
      ? (info) => void import('../http/retry').then(({ describeRetry }) => io.stderr.write(`* ${describeRetry(info)}\n`))
      : undefined,
    browser: lazyBrowser(env, proc.platform, proc.execPath),
    ...learningPorts(
      storePorts(
        { env, home, platform: proc.platform, verbose: flags.verbose, lockClock: systemClock },
        {
          notice: options.notice ?? ((line) => io.stderr.write(`${line}\n`)),
          // Said once per machine, so never held back by the fast path (whose hand-off would lose it).
          noticeOnce: (line) => io.stderr.write(`${line}\n`),
        },
      ),
      secrets,
    ),
    listen: async (options) => (await import('../oauth/loopback')).startCallbackServer(options),
    // Small files read synchronously: cheaper at start-up than the promise API.
    readTextFile: async (path, options) => {
      if (options?.settings) return readSettingsFile(path)
      if (nothingAt(path)) return undefined
      try {
        return readFileSync(path, 'utf8')
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
        // There, but not a file this user can read: a usage error naming the path (Node's EISDIR names none).
        if (code === 'EISDIR') throw isADirectory(path)
        if (code === 'EACCES' || code === 'EPERM') throw permissionDenied(path)
        throw err
      }
    },
    readUnaskedFile: async (path) => {
      const read = readTrustedTextFile(path)
      if ('text' in read) return read.text
      if ('skipped' in read && !skipsSaid.has(path)) {
        skipsSaid.add(path)
        ;(options.notice ?? ((line) => io.stderr.write(`${line}\n`)))(`oauth-cli: ignoring ${path}: ${read.skipped}; ${read.hint}`)
      }
      return undefined
    },
  }
  return deps
}

/**
 * SPEC: a password in the store's URL is accepted, never printed. In argv it is in the
 * process list for every local user to read: said once per process (the fast build and the
 * full CLI it hands over to run in one process, each bundle with its own module state).
 */
function warnStorePasswordInArgv(io: IO): void {
  const said = Symbol.for('oauth-cli.store-password-warned')
  const shared = globalThis as { [said]?: boolean }
  if (shared[said]) return
  shared[said] = true
  io.stderr.write(
    'oauth-cli: warning: the --store URL holds a password, which other users of this machine can read in the process list; ' +
      'leave it out of the URL and set PGPASSWORD or put it in ~/.pgpass instead\n',
  )
}

/** readTextFile's `settings` read (session/deps.ts): a file another user could have written is refused, never read. */
function readSettingsFile(path: string): string | undefined {
  const read = readTrustedTextFile(path)
  if ('text' in read) return read.text
  if ('missing' in read) return undefined
  // The same words as readTextFile's for what cannot be read at all; what could have been planted is refused.
  if ('directory' in read) throw isADirectory(path)
  if (read.denied) throw permissionDenied(path)
  throw new InputError(`refusing to read ${path}: ${read.skipped}`, read.hint)
}

/** A path the user gave that is there but cannot be read as a file: a usage error naming it (Node's EISDIR names none). */
const isADirectory = (path: string): InputError => new InputError(`cannot read ${path}: it is a directory`, 'give the path of a file')
const permissionDenied = (path: string): InputError => new InputError(`cannot read ${path}: permission denied`, `make it readable: chmod u+r ${path}`)

/** Unasked files already said to be left unread: once per process, however often a command resolves a provider. */
const skipsSaid = new Set<string>()

/** Where a world keeps its credentials and locks: the user's, or the demo's throwaway one. */
interface StoreWorld {
  env: Env
  home: string
  platform: NodeJS.Platform
  verbose: boolean
  /** Locks are about real processes: real time, even where the world's clock skips (the demo). */
  lockClock: Clock
}

/** The store and lock ports of a world, each built on first use (the keychain addon, the lock code). */
function storePorts(
  world: StoreWorld,
  say: { notice: (line: string) => void; noticeOnce: (line: string) => void },
): Pick<SessionDeps, 'openStore' | 'locker'> & Pick<Deps, 'closeStores'> {
  const { env, home, platform, verbose } = world
  const paths = resolvePaths(env, home)
  const stores = new Map<StoreChoice, Promise<CredentialStore>>()
  let locker: Promise<Locker> | undefined
  return {
    openStore: (choice) => {
      let store = stores.get(choice)
      if (!store) {
        store = import('../store/select-store').then(({ openStore }) =>
          openStore(choice, {
            env,
            dataDir: paths.dataDir,
            homedir: home,
            stateDir: paths.stateDir,
            platform,
            verbose,
            notice: say.notice,
            noticeOnce: say.noticeOnce,
          }),
        )
        stores.set(choice, store)
      }
      return store
    },
    closeStores: async () => {
      const opened = [...stores.values()]
      stores.clear()
      for (const pending of opened) await pending.then((store) => store.close?.(), () => undefined)
    },
    locker: () =>
      (locker ??= import('../store/lock').then(({ createFileLocker }) =>
        createFileLocker(paths.lockDir, world.lockClock, lockOptions(env)),
      )),
  }
}

/**
 * The same Deps in another world (the demo's): its own environment, home,
 * clock and browser, with the store and locks rewired to that home, and
 * nothing from the user's environment.
 */
export function withWorld(deps: Deps, world: { env: Env; home: string; clock: Clock; browser: Browser; store: StoreChoice }): Deps {
  const silent = (): void => undefined
  const ports = storePorts({ env: world.env, home: world.home, platform: deps.platform, verbose: deps.verbose, lockClock: systemClock }, {
    notice: silent,
    noticeOnce: silent,
  })
  return {
    ...deps,
    env: world.env,
    cwd: world.home,
    homedir: world.home,
    clock: world.clock,
    browser: world.browser,
    openStore: () => ports.openStore(world.store),
    locker: ports.locker,
  }
}

/** The store ports, with every credential a store reads or writes joining the known secrets. */
function learningPorts<P extends Pick<SessionDeps, 'openStore'>>(ports: P, secrets: KnownSecrets): P {
  return { ...ports, openStore: async (choice) => learningStore(await ports.openStore(choice), secrets) }
}

/**
 * The store as opened, except that every credential read or written joins the
 * known secrets. A proxy, so that whatever else the store offers stays as it is.
 */
function learningStore(store: CredentialStore, secrets: KnownSecrets): CredentialStore {
  const learn = (credential: StoredCredential): StoredCredential => {
    secrets.add(...credentialSecrets(credential))
    return credential
  }
  const wrapped: Partial<CredentialStore> = {
    get: async (key) => {
      const lookup = await store.get(key)
      if (lookup.status === 'found') learn(lookup.credential)
      return lookup
    },
    set: (credential) => store.set(learn(credential)),
    list: async (...args) => (await store.list(...args)).map(learn),
    ...(store.copiesOf ? { copiesOf: async (key: CredentialKey) => (await store.copiesOf!(key)).map(learn) } : {}),
  }
  return new Proxy(store, {
    get(target, prop) {
      if (typeof prop === 'string' && Object.hasOwn(wrapped, prop)) return wrapped[prop as keyof CredentialStore]
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}

/** The browser adapter (child_process, `open`) loads only when a login needs it. */
function lazyBrowser(env: Env, platform: NodeJS.Platform, execPath: string | undefined): Browser {
  let real: Promise<Browser> | undefined
  const load = (): Promise<Browser> =>
    (real ??= import('../platform/browser').then(({ createBrowser }) => createBrowser({ env, platform, execPath })))
  return {
    open: async (url) => (await load()).open(url),
    unavailableReason: () => browserUnavailableReason(env, platform),
  }
}

/**
 * Undocumented, for tests and impatient CI: `OAUTH_CLI_LOCK_TIMEOUT_MS`, how long
 * to wait for a busy refresh lock; `OAUTH_CLI_LOCK_STALE_MS`, when a lock counts as abandoned.
 */
function lockOptions(env: Env): { timeoutMs?: number; staleMs?: number } {
  const ms = (raw: string | undefined) => (raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined)
  const timeoutMs = ms(env.OAUTH_CLI_LOCK_TIMEOUT_MS)
  const staleMs = ms(env.OAUTH_CLI_LOCK_STALE_MS)
  return { ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(staleMs === undefined ? {} : { staleMs }) }
}

async function buildHttp(env: Env, flags: GlobalFlags, io: IO, secrets: KnownSecrets): Promise<HttpClient> {
  const options = {
    userAgent: `oauth-cli/${__OAUTH_CLI_VERSION__}`,
    ...(flags.requestTimeoutSeconds ? { timeoutMs: flags.requestTimeoutSeconds * 1000 } : {}),
  }
  // node:http/node:https, or undici's agent when a proxy variable is set (see http/client).
  const client = await (await import('../http/client')).createHttpClient({
    env,
    ...options,
    ...(flags.cacert ? { ca: await readCaFile(flags.cacert) } : {}),
  })
  const { withSecretLearning } = await import('../http/secrets')
  if (!flags.verbose) return withSecretLearning(client, secrets)
  const { withTrace } = await import('../http/trace')
  // Learning first: a secret a request carries is known before the trace prints it.
  return withSecretLearning(withTrace(client, (line) => io.stderr.write(`${line}\n`), () => secrets.values()), secrets)
}

/** Reads `--cacert` when the first request is built; a bad file is a usage error naming it. */
async function readCaFile(path: string): Promise<string> {
  const [{ readFile }, { ConfigError }] = await Promise.all([import('node:fs/promises'), import('../providers/errors')])
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const reason = reasonOf(err)
    throw new ConfigError('invalid_value', `cannot read the CA certificate file ${path} given to --cacert (${reason})`, {
      hint: 'pass a readable PEM file of CA certificates to --cacert',
      cause: err,
    })
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError('invalid_value', `the file ${path} given to --cacert holds no PEM certificate`, {
      hint: 'pass a PEM file (-----BEGIN CERTIFICATE-----) of CA certificates to --cacert',
    })
  }
  return text
}
