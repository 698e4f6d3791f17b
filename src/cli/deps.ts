/**
 * The one Deps object, built once in main.ts and passed down. Expensive members
 * (undici, the keychain addon, `open`) are loaded on first use, so a command that
 * does not need them never pays for them.
 */
import type { HttpClient } from '../http/types'
import type { StartCallbackServer } from '../oauth/callback-server'
import type { Browser } from '../platform/browser-port'
import { systemClock, type Clock } from '../platform/clock'
import type { IO } from '../platform/io'
import { resolvePaths } from '../platform/paths'
import type { CredentialStore, Locker, StoreChoice } from '../store/credential-store'

export type Env = Readonly<Record<string, string | undefined>>

export interface Deps {
  io: IO
  env: Env
  cwd: string
  homedir: string
  platform: NodeJS.Platform
  clock: Clock
  /** `--verbose`: HTTP trace (redacted) on stderr. */
  verbose: boolean
  /** The HTTP client, traced when verbose; built on first use. */
  http(): Promise<HttpClient>
  browser: Browser
  /** Picks the keychain or the file store; says once on stderr when it falls back. */
  openStore(choice: StoreChoice): Promise<CredentialStore>
  locker(): Promise<Locker>
  listen: StartCallbackServer
  /** Reads a text file; undefined when it does not exist. */
  readTextFile(path: string): Promise<string | undefined>
}

export interface ProcessLike {
  argv: string[]
  env: NodeJS.ProcessEnv
  platform: NodeJS.Platform
  stdin: NodeJS.ReadStream
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  cwd(): string
}

export interface GlobalFlags {
  verbose: boolean
  noColor: boolean
}

/** Reads the global flags that shape Deps before commander parses the rest. */
export function scanGlobalFlags(argv: readonly string[]): GlobalFlags {
  const end = argv.indexOf('--')
  const args = end === -1 ? argv : argv.slice(0, end)
  return { verbose: args.includes('--verbose'), noColor: args.includes('--no-color') }
}

export async function createDeps(proc: ProcessLike, flags: GlobalFlags): Promise<Deps> {
  const [{ homedir }, { readFile }, { createNodeIO }, { createBrowser }, { startCallbackServer }] =
    await Promise.all([
      import('node:os'),
      import('node:fs/promises'),
      import('../platform/node-io'),
      import('../platform/browser'),
      import('../oauth/loopback'),
    ])
  const env: Env = { ...proc.env }
  const home = homedir()
  const io = createNodeIO(proc, { noColor: flags.noColor, env })
  let http: Promise<HttpClient> | undefined
  let locker: Promise<Locker> | undefined
  const stores = new Map<StoreChoice, Promise<CredentialStore>>()
  const deps: Deps = {
    io,
    env,
    cwd: proc.cwd(),
    homedir: home,
    platform: proc.platform,
    clock: systemClock,
    verbose: flags.verbose,
    http: () => (http ??= buildHttp(env, flags.verbose, io)),
    browser: createBrowser({ env, platform: proc.platform }),
    openStore: (choice) => {
      let store = stores.get(choice)
      if (!store) {
        store = import('../store/select-store').then(({ openStore }) =>
          openStore(choice, {
            env,
            dataDir: resolvePaths(env, home).dataDir,
            platform: proc.platform,
            notice: (line) => io.stderr.write(`${line}\n`),
          }),
        )
        stores.set(choice, store)
      }
      return store
    },
    locker: () =>
      (locker ??= import('../store/lock').then(({ createFileLocker }) =>
        createFileLocker(resolvePaths(env, home).lockDir, systemClock),
      )),
    listen: startCallbackServer,
    readTextFile: async (path) => {
      try {
        return await readFile(path, 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw err
      }
    },
  }
  return deps
}

async function buildHttp(env: Env, verbose: boolean, io: IO): Promise<HttpClient> {
  const { createHttpClient } = await import('../http/client')
  const client = await createHttpClient({ env, userAgent: `oauth-cli/${__OAUTH_CLI_VERSION__}` })
  if (!verbose) return client
  const { withTrace } = await import('../http/trace')
  return withTrace(client, (line) => io.stderr.write(`${line}\n`))
}
