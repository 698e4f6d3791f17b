/**
 * The fleet the shared-store tests run: runners (the built CLI in separate
 * HOMEs) on one real PostgreSQL database, a certified provider that rotates
 * refresh tokens (oidc-provider, in this process), and a token endpoint that
 * holds each request until the test says what to do with it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import type { StoredCredential } from '../../src/store/credential-store'
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres-store'
import { oidcEntry, startOidcProvider, type RunningOidcProvider } from '../support/oidc-provider'
import { shouldSkipPostgres, type PostgresCluster } from '../support/postgres'
import { runCli, spawnCli, type CliOptions, type CliRun, type SpawnedCli } from '../support/run-cli'
import { makeTempHome, type TempHome } from '../support/temp-home'
import { expectExit } from './world'

export const skip = shouldSkipPostgres()
export const FOLLOW = fileURLToPath(new URL('../support/browser-follow.mjs', import.meta.url))
export const PASSPHRASE = 'fleet-e2e-passphrase'
export const KEY = { provider: 'oidc', profile: 'default' }
export const LEASE_SECONDS = 2

export interface Runner {
  home: TempHome
  env: Record<string, string>
  cli(args: string[], opts?: Partial<CliOptions>): Promise<CliRun>
  spawn(args: string[], opts?: Partial<CliOptions>): SpawnedCli
}

export interface Fleet {
  op: RunningOidcProvider
  url: string
  runners: Runner[]
  /** The test's own view of the shared store (same passphrase). */
  store: PostgresStore
  stored(): Promise<StoredCredential>
  /** Moves the stored access token's expiry into the past, as time passing would. */
  expire(): Promise<void>
  refreshes(): number
  /** A runner whose token endpoint is `proxyUrl` (a holding proxy) instead of the provider's. */
  runnerVia(proxyUrl: string): Runner
  close(): Promise<void>
}


export async function createFleet(cluster: PostgresCluster, count: number, leaseSeconds = LEASE_SECONDS): Promise<Fleet> {
  const db = await cluster.createDatabase()
  const op = await startOidcProvider()
  const homes: TempHome[] = []
  const makeRunner = (overrides: Record<string, unknown> = {}): Runner => {
    const home = makeTempHome()
    homes.push(home)
    home.writeConfig({ providers: { oidc: oidcEntry(op, overrides) } })
    const browser = home.writeExecutable('browser', `#!/bin/sh\nexec '${process.execPath}' '${FOLLOW}' --all "$1"\n`)
    const env = {
      ...home.env,
      BROWSER: browser,
      OAUTH_CLI_STORE: db.url,
      PGPASSWORD: db.password,
      OAUTH_CLI_PASSPHRASE: PASSPHRASE,
      OAUTH_CLI_LEASE_SECONDS: String(leaseSeconds),
    }
    return {
      home,
      env,
      cli: (args, opts = {}) => runCli(args, { timeoutMs: 40_000, ...opts, env: { ...env, ...opts.env } }),
      spawn: (args, opts = {}) => spawnCli(args, { timeoutMs: 40_000, ...opts, env: { ...env, ...opts.env } }),
    }
  }
  const store = await openPostgresStore(db.url, { env: { PGPASSWORD: db.password, OAUTH_CLI_PASSPHRASE: PASSPHRASE }, homedir: '/x' })
  const runners = Array.from({ length: count }, () => makeRunner())
  const stored = async (): Promise<StoredCredential> => {
    const found = await store.get(KEY)
    if (found.status !== 'found') throw new Error('nothing stored')
    return found.credential
  }
  return {
    op,
    url: db.url,
    runners,
    store,
    stored,
    async expire() {
      const now = await store.versioned.getVersioned(KEY)
      if (now.status !== 'found') throw new Error('nothing stored')
      await store.versioned.compareAndSet({ ...now.credential, expires_at: new Date(Date.now() - 1000).toISOString() }, now.revision)
    },
    refreshes: () => op.events.grants.filter((g) => g === 'refresh_token').length,
    runnerVia: (proxyUrl) => makeRunner({ token_endpoint: proxyUrl }),
    async close() {
      await store.close?.()
      await op.close()
      for (const home of homes) home.cleanup()
    },
  }
}

/** A token endpoint that holds every request until told what to do with it. */
export interface HoldingProxy {
  url: string
  /** Resolves when a request has arrived (and is being held). */
  arrived: Promise<void>
  /** Sends the held request on to the provider and keeps its answer; resolves with the answer's status. */
  forward(target: string): Promise<number>
  /** Delivers the kept answer (or `body`, with `status`, default 200) to the held client. */
  answer(body?: Record<string, unknown>, status?: number): void
  /** The provider's answer kept by `forward`, parsed. */
  kept(): Record<string, unknown>
  close(): Promise<void>
}

export async function startHoldingProxy(): Promise<HoldingProxy> {
  let held: { req: IncomingMessage; res: ServerResponse; body: string } | undefined
  let kept: { status: number; text: string } | undefined
  let arrive: () => void = () => undefined
  const arrived = new Promise<void>((resolve) => (arrive = resolve))
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      held = { req, res, body }
      arrive()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}/token`,
    arrived,
    async forward(target) {
      if (!held) throw new Error('nothing held')
      const response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': String(held.req.headers['content-type'] ?? 'application/x-www-form-urlencoded') },
        body: held.body,
      })
      kept = { status: response.status, text: await response.text() }
      return kept.status
    },
    answer(body, status = 200) {
      if (!held) throw new Error('nothing held')
      const text = body ? JSON.stringify(body) : (kept?.text ?? '{}')
      held.res.writeHead(body ? status : (kept?.status ?? 200), { 'content-type': 'application/json' }).end(text)
    },
    kept() {
      if (!kept) throw new Error('nothing forwarded')
      return JSON.parse(kept.text) as Record<string, unknown>
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export async function loginOnce(fleet: Fleet): Promise<StoredCredential> {
  const run = await fleet.runners[0]!.cli(['login', 'oidc'])
  expectExit(run, 0)
  return fleet.stored()
}

/** Resolves once `predicate` holds, polling the database; fails after `ms`. */
export async function eventually(predicate: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
