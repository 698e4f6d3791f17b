/**
 * `oauth-cli demo`: the whole loop — login, call, a refresh after expiry,
 * status, logout — against a sandbox provider started in this process, with a
 * throwaway file store and config in a temp dir that is removed at the end.
 * Nothing touches the user's keychain, config or stored credentials.
 *
 * This file is the narration and the world's setup; the world's Deps come
 * from `withWorld` (cli/deps.ts), its browser for machines without one from
 * `demo-browser.ts`.
 */
import type { Browser } from '../../platform/browser-port'
import { systemClock, type Clock } from '../../platform/clock'
import type { Sandbox } from '../../sandbox/server'
import type { LoginEvent } from '../../session/login-flows'
import type { CredentialKey, CredentialStore, StoredCredential } from '../../store/credential-store'
import { createApprovingBrowser } from '../demo-browser'
import { withWorld, type Deps, type Env } from '../deps'
import { refuseIfInterrupted } from '../../session/interrupt'
import { CliError, UsageError, type ExitCode } from '../errors'
import { renderPrettyJson } from '../json-render'
import type { CallOptions } from './call'
import type { LoginOptions } from './login'
import { paint, renderStatus, type Paint } from '../render'
import type { Command } from 'commander'
import { addFlags, readFlags, type CommandContext } from '../command-kit'
import { DEMO_FLAGS } from '../options'

export function defineDemo(ctx: CommandContext, run: (opts: DemoOptions, deps: Deps) => Promise<ExitCode> = executeDemo): Command {
  const cmd = ctx.command('demo', 'run login, call, refresh, status and logout against a sandbox it starts itself, in a throwaway store')
  return addFlags(cmd, DEMO_FLAGS)
    .addHelpText('after', DEMO_EXAMPLES)
    .action(() => ctx.act(() => run(readFlags(cmd, DEMO_FLAGS), ctx.deps)))
}

const DEMO_EXAMPLES = `
Nothing is written to your keychain or config: the store and config live in a
temp dir that is removed at the end. Without a browser (CI, SSH, no display)
the sandbox approves the login by itself.

Examples:
  oauth-cli demo
  oauth-cli demo --no-browser
`

export interface DemoOptions {
  /** False (`--no-browser`) forces the headless path even where a browser could open. */
  browser: boolean
  /**
   * Seconds. Default DEMO_ACCESS_TOKEN_TTL: longer than the 60 s refresh skew, so the
   * first call uses the token from login and the refresh is seen only after the clock skips ahead.
   */
  accessTokenTtl?: number
}

export const DEMO_ACCESS_TOKEN_TTL = 120

/** How long the user has to click Allow in a real browser. */
export const DEMO_BROWSER_TIMEOUT_S = 120

const KEY: CredentialKey = { provider: 'sandbox', profile: 'default' }

/** A clock the sandbox and oauth-cli share, which the demo can move forward to expire tokens at once. */
export interface DemoClock extends Clock {
  skip(ms: number): void
}

export function createDemoClock(base: Clock = systemClock): DemoClock {
  let offset = 0
  return { now: () => base.now() + offset, sleep: (ms, signal) => base.sleep(ms, signal), skip: (ms) => void (offset += ms) }
}

/** Everything the steps share. */
interface DemoRun {
  deps: Deps
  sandbox: Sandbox
  clock: DemoClock
  store: CredentialStore
  dir: string
  /** Why the demo approves by itself; undefined when a real browser is used. */
  headless: string | undefined
  /** The loopback page the built-in approver received, once it arrives. */
  landing: Array<Promise<string | undefined>>
  p: Paint
  say(lines: string[]): void
}

/**
 * Runs the demo and returns 0. The sandbox is closed and the temp dir removed
 * whatever happens; a failing step propagates as the error it is. A Ctrl-C (or
 * SIGTERM, SIGHUP) stops it between steps, and the process ends only once that
 * cleanup is done (handed to the root's interrupt: its `finished()` waits for it).
 */
export function executeDemo(opts: DemoOptions, deps: Deps): Promise<ExitCode> {
  const demo = runDemo(opts, deps)
  deps.interrupt?.finish(demo)
  return demo
}

async function runDemo(opts: DemoOptions, deps: Deps): Promise<ExitCode> {
  const ttl = opts.accessTokenTtl ?? DEMO_ACCESS_TOKEN_TTL
  if (!Number.isInteger(ttl) || ttl < 1) throw new UsageError(`the access token lifetime must be a whole number of seconds from 1, not ${ttl}`)
  const headless = opts.browser ? deps.browser.unavailableReason() : '--no-browser'
  const p = paint(deps.io.color)
  // Once stopped, nothing more is narrated after the line that says so.
  const say = (lines: string[]): void => void (deps.interrupt?.signal.aborted || deps.io.stderr.write(lines.map((l) => `${l}\n`).join('')))
  say([p.bold('oauth-cli demo: login, call, refresh, status and logout against a local sandbox'), ''])
  const clock = createDemoClock(deps.clock)
  const { startSandbox } = await import('../../sandbox/server')
  const sandbox = await startSandbox({ port: 0, accessTokenTtl: ttl, autoApprove: headless !== undefined, now: () => clock.now() })
  let dir: string | undefined
  try {
    dir = await makeTempDir()
    const landing: DemoRun['landing'] = []
    const browser = headless === undefined ? deps.browser : createApprovingBrowser(deps.http, (page) => landing.push(page))
    const demoDeps = await buildDemoDeps(deps, { dir, sandboxUrl: sandbox.url, clock, browser })
    const store = await demoDeps.openStore('file')
    const run: DemoRun = { deps: demoDeps, sandbox, clock, store, dir, headless, landing, p, say }
    await runSteps(run, ttl)
    return 0
  } finally {
    await sandbox.close()
    if (dir) await removeDir(dir)
  }
}

async function runSteps(run: DemoRun, ttl: number): Promise<void> {
  const { say, p } = run
  say([
    step(p, 1, 'Start a sandbox OAuth 2.0 provider'),
    `  Listening at ${run.sandbox.url} (in this process, in memory): consent page, token endpoint, revocation, an API.`,
    `  Its access tokens live ${ttl} s; its refresh tokens rotate on every use.`,
    '',
  ])
  for (const next of [stepLogin, stepCall, () => stepRefresh(run, ttl), stepStatus, stepLogout]) {
    refuseIfInterrupted(run.deps.interrupt)
    await next(run)
  }
  say([
    p.bold('Done.') + ' Nothing was written to your keychain or config; the throwaway store is gone.',
    'Next: oauth-cli login livechat (or livestorm, tidio), then oauth-cli call livechat /v3.6/agent/action/list_chats -d \'{}\'',
  ])
}

function step(p: Paint, n: number, title: string): string {
  return p.bold(`[${n}/6] ${title}`)
}

async function stepLogin(run: DemoRun): Promise<void> {
  const { say, p } = run
  say([step(p, 2, 'oauth-cli login sandbox')])
  if (run.headless) say([`  No browser here (${run.headless}): the demo approves on the sandbox's consent page by itself.`])
  const { runLogin } = await import('./login')
  const opts: LoginOptions = {
    ...common(run),
    provider: KEY.provider,
    browser: true,
    timeoutSeconds: run.headless ? 30 : DEMO_BROWSER_TIMEOUT_S,
    clientSecretStdin: false,
    withToken: false,
    device: false,
    oauth: false,
    clientCredentials: false,
    remote: false,
  }
  await runLogin(opts, run.deps, (event) => say(describeLoginEvent(event, run.headless !== undefined)))
  const page = await firstLanding(run)
  const credential = await storedCredential(run)
  say([
    '  The callback came back with the right state; the code and the PKCE verifier were exchanged for tokens.',
    ...(page ? [`  The loopback listener showed the browser a page saying "${page}", and closed.`] : []),
    `  Stored in a throwaway file store (${run.dir}), not your keychain:`,
    `  access token ${await fingerprint(credential.access_token)}, refresh token ${credential.refresh_token ? 'yes' : 'no'}, scope ${credential.scope.join(' ')}`,
    '  (fingerprints are the first hex digits of a SHA-256; tokens are never printed)',
    '',
  ])
}

/** What the user reads about each login event; the real command's wording assumes a terminal user. */
export function describeLoginEvent(event: LoginEvent, headless: boolean): string[] {
  switch (event.type) {
    case 'authorize_url':
      if (headless) return ['  Authorization request sent: code flow with PKCE (S256) and a random state.']
      return event.opened
        ? ['  Your browser is on the sandbox\'s consent page: click Allow. If it did not open, visit:', event.url]
        : [`  No browser could be opened (${event.reason ?? 'unknown reason'}); open this URL and click Allow:`, event.url]
    case 'waiting':
      return [`  Waiting for the redirect to ${event.redirect_uri}${headless ? '' : ` (up to ${event.timeout_s} s)`}`]
    case 'exchanging':
    case 'switch_to_device':
    case 'device_code':
    case 'remote_command':
      return []
    default: {
      const never: never = event
      return [String(never)]
    }
  }
}

/** The loopback page's heading, as the approver received it; bounded, since the page arrives just after login returns. */
async function firstLanding(run: DemoRun): Promise<string | undefined> {
  const page = run.landing[0]
  if (!page) return undefined
  const timeout = new AbortController()
  const late = systemClock.sleep(2_000, timeout.signal).then(() => undefined, () => undefined)
  const html = await Promise.race([page, late])
  timeout.abort()
  return html?.match(/<h1>([^<]*)<\/h1>/)?.[1]
}

async function stepCall(run: DemoRun): Promise<void> {
  const { say, p } = run
  say([step(p, 3, 'oauth-cli call sandbox /me')])
  const before = run.sandbox.stats().refreshes
  const used = await callMe(run)
  const refreshed = run.sandbox.stats().refreshes - before
  say([
    `  GET ${run.sandbox.url}/api/me answered 200 with the access token ${used}${refreshed ? ', refreshed first' : ' from login'}.`,
    '  The JSON body is on stdout.',
    '',
  ])
}

/** `call sandbox /me`; returns the fingerprint of the access token it sent. The first body goes to stdout. */
async function callMe(run: DemoRun, print = true): Promise<string> {
  const { runCall } = await import('./call')
  const opts: CallOptions = { ...common(run), provider: KEY.provider, target: '/me', headers: [], query: [], include: false, paginate: false, ndjson: false }
  const response = await runCall(opts, run.deps)
  const text = new TextDecoder().decode(await response.bytes())
  if (response.status !== 200) throw new CliError(`the sandbox answered HTTP ${response.status} to /me: ${text.slice(0, 200)}`)
  if (print) run.deps.io.stdout.write(renderPrettyJson(JSON.parse(text), { color: run.deps.io.stdout.isTTY && run.deps.io.color }))
  return fingerprint((await storedCredential(run)).access_token)
}

async function stepRefresh(run: DemoRun, ttl: number): Promise<void> {
  const { say, p } = run
  say([step(p, 4, 'A refresh after expiry')])
  const old = await storedCredential(run)
  const before = run.sandbox.stats().refreshes
  run.clock.skip((ttl + 1) * 1000)
  say([`  Skipping the clock ${ttl + 1} s ahead (the sandbox and oauth-cli share the demo's clock): the access token has expired.`])
  const used = await callMe(run, false)
  const after = run.sandbox.stats().refreshes
  const latest = await storedCredential(run)
  const rotated = Boolean(old.refresh_token && latest.refresh_token && old.refresh_token !== latest.refresh_token)
  if (after === before) throw new CliError('the demo expected a refresh, but the sandbox saw none')
  say([
    '  oauth-cli call sandbox /me again: oauth-cli saw the expiry and refreshed before sending.',
    `  sandbox refreshes: ${before} -> ${after}; access token ${await fingerprint(old.access_token)} -> ${used}${rotated ? '; the refresh token was rotated too' : ''}`,
    '  The sandbox answered 200 to the new token.',
    '',
  ])
}

async function stepStatus(run: DemoRun): Promise<void> {
  const { say, p } = run
  say([step(p, 5, 'oauth-cli status')])
  const { runStatus } = await import('./status')
  const rows = await runStatus({ json: false, verbose: run.deps.verbose, store: 'file' }, run.deps)
  const table = renderStatus(rows, run.deps.clock.now(), p)
  say([...table.trimEnd().split('\n').map((line) => `  ${line}`), ''])
}

async function stepLogout(run: DemoRun): Promise<void> {
  const { say, p } = run
  say([step(p, 6, 'oauth-cli logout sandbox')])
  const last = await storedCredential(run)
  const { runLogout } = await import('./logout')
  const result = await runLogout({ ...common(run), provider: KEY.provider, local: false }, run.deps)
  if (!result.revoked) throw new CliError(`the demo could not revoke at the sandbox: ${result.reason}`)
  const http = await run.deps.http()
  const check = await http(`${run.sandbox.url}/api/me`, { headers: { Authorization: `Bearer ${last.access_token}` } })
  const left = await run.store.list()
  say([
    '  Revoked at the sandbox (RFC 7009: refresh token, then access token) and deleted from the store.',
    `  The sandbox now answers ${check.status} to the last access token; ${left.length} credentials are left in the store.`,
    '',
  ])
}

function common(run: DemoRun): { profile: string; json: boolean; verbose: boolean; store: 'file' } {
  return { profile: KEY.profile, json: false, verbose: run.deps.verbose, store: 'file' }
}

async function storedCredential(run: DemoRun): Promise<StoredCredential> {
  const lookup = await run.store.get(KEY)
  if (lookup.status === 'missing') throw new CliError('the demo found no sandbox credential in its store')
  return lookup.credential
}

/** The first 8 hex digits of the token's SHA-256: enough to tell tokens apart, useless to an attacker. */
export async function fingerprint(token: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
  return Buffer.from(digest).toString('hex').slice(0, 8)
}

interface WorldParts {
  dir: string
  sandboxUrl: string
  clock: DemoClock
  browser: Browser
}

/**
 * Deps for the throwaway world: XDG dirs, the file store and a config that
 * points the `sandbox` provider at this run's sandbox, all in `dir`. Nothing
 * from the user's environment reaches the steps (no `SANDBOX_CLIENT_ID`, no
 * `OAUTH_CLI_PROFILE`, no `.env`), so the demo behaves the same everywhere.
 */
async function buildDemoDeps(deps: Deps, parts: WorldParts): Promise<Deps> {
  const [{ join }, { mkdir, writeFile }, { sandboxProviderConfig }] = await Promise.all([
    import('node:path'),
    import('node:fs/promises'),
    import('../../sandbox/provider'),
  ])
  const env: Env = {
    XDG_CONFIG_HOME: join(parts.dir, 'config'),
    XDG_DATA_HOME: join(parts.dir, 'data'),
    OAUTH_CLI_STORE: 'file',
    OAUTH_CLI_CONFIG: join(parts.dir, 'config', 'oauth-cli', 'config.json'),
  }
  await mkdir(join(parts.dir, 'config', 'oauth-cli'), { recursive: true, mode: 0o700 })
  const config = { providers: { sandbox: sandboxProviderConfig(parts.sandboxUrl) } }
  await writeFile(env.OAUTH_CLI_CONFIG as string, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
  return withWorld(deps, { env, home: parts.dir, clock: parts.clock, browser: parts.browser, store: 'file' })
}

async function makeTempDir(): Promise<string> {
  const [{ mkdtemp }, { tmpdir }, { join }] = await Promise.all([import('node:fs/promises'), import('node:os'), import('node:path')])
  return mkdtemp(join(tmpdir(), 'oauth-cli-demo-'))
}

async function removeDir(dir: string): Promise<void> {
  const { rm } = await import('node:fs/promises')
  await rm(dir, { recursive: true, force: true })
}
