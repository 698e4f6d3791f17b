/**
 * `oauth-cli doctor [provider]`: checks what logins and calls depend on (the
 * credential stores, the config file, proxy and CA settings, a browser, and
 * for a provider its clock and redirect port), one line each with what to do.
 * It opens nothing and changes nothing.
 */
import { escapeControls } from '../../platform/terminal-text'
import { describeProxy, invalidProxyVariable, readProxySettings, type ProxySettings } from '../../http/proxy'
import { ListenError } from '../../oauth/callback-server'
import { isLoopbackRedirectUri } from '../../platform/loopback-redirect'
import type { State } from '../../oauth/types'
import { ConfigError } from '../../providers/errors'
import type { ResolvedProvider } from '../../providers/types'
import { InputError } from '../../session/errors'
import { loadProvider, readConfig } from '../../session/provider-context'
import { isSharedStoreUrl, StoreError, type StoreChoice } from '../../store/credential-store'
import { browserUnavailableReason } from '../../platform/browser-port'
import { missingBrowserCommands } from '../../platform/browser'
import type { Deps } from '../deps'
import type { ExitCode } from '../errors'
import { paint, renderJson, TERMINAL_WIDTH, type Paint } from '../render'
import type { Command } from 'commander'
import { addCommonOptions, type CommandContext } from '../command-kit'
import type { CommonOptions } from '../options'

export interface DoctorOptions extends CommonOptions {
  /** With a provider, also its clock skew and redirect port. */
  provider?: string
}

export function defineDoctor(ctx: CommandContext, run: (opts: DoctorOptions, deps: Deps) => Promise<ExitCode> = executeDoctor): Command {
  return addCommonOptions(ctx.command('doctor', "check the keychain, file store, config, proxy, CA, browser, and a provider's clock and redirect port").argument('[provider]'))
    .addHelpText('after', '\nExamples:\n  oauth-cli doctor\n  oauth-cli doctor livechat\n  oauth-cli doctor acme --json\n')
    .action((provider: string | undefined, _o: unknown, cmd: Command) => ctx.act(() => run({ ...ctx.common(cmd), provider }, ctx.deps)))
}

export interface CheckResult {
  name: string
  /** `warn`: works, but not the way the user may expect. */
  ok: boolean | 'warn'
  detail: string
  /** What to do, for a warning or a failure. */
  fix?: string
}

/** `doctor --json`: one shape for every check, `status` one of three words. */
export interface CheckJson {
  name: string
  status: 'ok' | 'warn' | 'fail'
  detail: string
  fix: string | null
}

function toCheckJson(r: CheckResult): CheckJson {
  return { name: r.name, status: r.ok === true ? 'ok' : r.ok === 'warn' ? 'warn' : 'fail', detail: r.detail, fix: r.ok === true ? null : r.fix ?? null }
}

/** A clock further off than this makes token lifetimes and JWT checks unreliable. */
export const MAX_CLOCK_SKEW_MS = 60_000

export async function runDoctor(opts: DoctorOptions, deps: Deps): Promise<CheckResult[]> {
  const shared = sharedStoreChoice(opts, deps)
  const checks: Array<Promise<CheckResult>> = [
    ...(shared ? [checkSharedStore(shared, deps)] : []),
    checkKeychain(opts, deps),
    checkFileStore(deps),
    checkConfig(opts, deps),
    Promise.resolve(checkProxy(deps.env)),
    checkExtraCa(deps),
    checkBrowser(deps.env, deps.platform),
  ]
  if (opts.provider !== undefined) {
    const provider = await resolveForDoctor(opts.provider, opts, deps)
    if ('name' in provider && 'ok' in provider) checks.push(Promise.resolve(provider))
    else checks.push(Promise.resolve(checkClient(provider)), checkClock(provider, deps), checkRedirectPort(provider, deps))
  }
  return Promise.all(checks)
}

/**
 * An unknown provider is a usage error (exit 2, with the closest name); any
 * other problem resolving it becomes a failed check, so the rest still run.
 */
async function resolveForDoctor(name: string, opts: DoctorOptions, deps: Deps): Promise<ResolvedProvider | CheckResult> {
  try {
    return await loadProvider(name, { config: opts.config }, deps)
  } catch (err) {
    if (err instanceof ConfigError && err.code === 'unknown_provider') throw err
    const reason = err instanceof Error ? err.message : String(err)
    return { name: 'provider', ok: false, detail: `${name} cannot be resolved: ${reason}`, fix: err instanceof ConfigError ? err.hint : undefined }
  }
}

/** The keychain layer bounds every call (keychains hang), so this check cannot. */
export async function checkKeychain(opts: DoctorOptions, deps: Deps): Promise<CheckResult> {
  const name = 'keychain'
  try {
    const store = await deps.openStore('keychain')
    return { name, ok: true, detail: `${store.location} answers` }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    if (err instanceof StoreError && err.kind === 'timeout') {
      return { name, ok: 'warn', detail: `the OS keychain did not answer in time: ${reason}`, fix: 'unlock the keychain, or use --store file' }
    }
    // The line already says it is the keychain that is missing: only why.
    const why = reason.replace(/^the OS keychain is not available: /, '')
    const fileChosen = opts.store === 'file' || deps.env.OAUTH_CLI_STORE === 'file'
    if (fileChosen) return { name, ok: true, detail: `not needed: the file store is selected (none here: ${why})` }
    if (sharedStoreChoice(opts, deps)) return { name, ok: true, detail: `not needed: the shared store is selected (none here: ${why})` }
    return {
      name,
      ok: 'warn',
      detail: `no OS keychain (${why}); credentials go to the file store`,
      fix: deps.platform === 'linux'
        ? 'run a Secret Service (gnome-keyring, KWallet, KeePassXC) in this session, or set OAUTH_CLI_PASSPHRASE to encrypt the file store'
        : 'set OAUTH_CLI_PASSPHRASE to encrypt the file store',
    }
  }
}

/** The shared store named by --store or OAUTH_CLI_STORE, if one is. */
function sharedStoreChoice(opts: DoctorOptions, deps: Deps): StoreChoice | undefined {
  const choice = opts.store !== 'auto' ? opts.store : deps.env.OAUTH_CLI_STORE
  return isSharedStoreUrl(choice) ? choice : undefined
}

/** Connects, then checks the schema version and the role's rights on the tables (shared/SPEC.md "Shared store"). */
export async function checkSharedStore(choice: StoreChoice, deps: Deps): Promise<CheckResult> {
  const name = 'shared store'
  try {
    const store = await deps.openStore(choice)
    const health = await store.health?.()
    if (!health) return { name, ok: true, detail: `${store.location} answers` }
    if (health.problems.length === 0) return { name, ok: true, detail: health.detail }
    return { name, ok: false, detail: `${health.detail}; ${health.problems.join('; ')}`, fix: health.fix }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    return { name, ok: false, detail: reason, fix: err instanceof StoreError ? err.hint : undefined }
  }
}

export async function checkFileStore(deps: Deps): Promise<CheckResult> {
  const name = 'file store'
  try {
    const store = await deps.openStore('file')
    const count = (await store.list()).length
    const encryption = deps.env.OAUTH_CLI_PASSPHRASE ? 'encrypted' : 'not encrypted; set OAUTH_CLI_PASSPHRASE to encrypt it'
    return { name, ok: true, detail: `${store.location}: ${count} credential${count === 1 ? '' : 's'} (${encryption})` }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    const fix = err instanceof StoreError && err.kind === 'bad_passphrase'
      ? 'set OAUTH_CLI_PASSPHRASE to the passphrase the file store was written with'
      : 'check the permissions of $XDG_DATA_HOME/oauth-cli (it should be yours, mode 0700)'
    return { name, ok: false, detail: `cannot be read: ${reason}`, fix }
  }
}

export async function checkConfig(opts: DoctorOptions, deps: Deps): Promise<CheckResult> {
  const name = 'config file'
  try {
    const config = await readConfig(deps, opts.config)
    if (!config.exists) return { name, ok: true, detail: `${config.path} does not exist (built-in providers only)` }
    const count = Object.keys(config.providers).length
    return { name, ok: true, detail: `${config.path}: ${count} provider${count === 1 ? '' : 's'}` }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    return { name, ok: false, detail: reason, fix: err instanceof ConfigError && err.hint ? err.hint : 'fix the file, or pass --config <file>' }
  }
}

/**
 * Proxy settings as the HTTP client reads them (http/proxy.ts: the variable it
 * uses for each scheme, and NO_PROXY), said in the client's words when one
 * names no proxy; a proxy's user name and password are never shown.
 */
export function checkProxy(env: Deps['env']): CheckResult {
  const name = 'proxy'
  let settings: ProxySettings
  try {
    settings = readProxySettings(env, (variable) => Object.assign(new Error(variable), { variable }))
  } catch (err) {
    const { message, hint } = invalidProxyVariable((err as { variable: string }).variable)
    return { name, ok: false, detail: message, fix: hint }
  }
  const proxies = [...new Set([settings.http, settings.https].filter((choice) => choice !== undefined))]
  if (proxies.length === 0) return { name, ok: true, detail: 'no proxy variables set (direct connections)' }
  const shown = proxies.map(({ variable, url }) => `${variable}=${showProxy(url)}`)
  if (settings.noProxy) shown.push(`${settings.noProxyVariable}=${settings.noProxy}`)
  return { name, ok: true, detail: shown.join(', ') }
}

function showProxy(url: URL): string {
  const credentials = url.username || url.password ? ' (with credentials, not shown)' : ''
  return `${url.protocol}//${describeProxy(url)}${credentials}`
}

/** NODE_EXTRA_CA_CERTS, needed behind a TLS-inspecting proxy, must name a readable PEM file. */
export async function checkExtraCa(deps: Deps): Promise<CheckResult> {
  const name = 'extra CA'
  const path = deps.env.NODE_EXTRA_CA_CERTS
  if (!path) return { name, ok: true, detail: 'NODE_EXTRA_CA_CERTS not set (the system CAs only)' }
  const fix = 'point NODE_EXTRA_CA_CERTS at a readable PEM file with the proxy\'s CA certificate, or unset it'
  let text: string | undefined
  try {
    text = await deps.readTextFile(path)
  } catch (err) {
    // readTextFile's own errors name the path and the reason; anything else gives its code.
    if (err instanceof InputError) return { name, ok: false, detail: `NODE_EXTRA_CA_CERTS: ${err.message}`, fix }
    return { name, ok: false, detail: `NODE_EXTRA_CA_CERTS=${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, fix }
  }
  if (text === undefined) return { name, ok: false, detail: `NODE_EXTRA_CA_CERTS=${path} does not exist`, fix }
  const count = text.split('-----BEGIN CERTIFICATE-----').length - 1
  if (count === 0) return { name, ok: false, detail: `NODE_EXTRA_CA_CERTS=${path} holds no PEM certificate`, fix }
  return { name, ok: true, detail: `NODE_EXTRA_CA_CERTS=${path}: ${count} certificate${count === 1 ? '' : 's'}` }
}

/** What `login` would open the URL with; nothing is opened. The decision is platform/browser-port's. */
export async function checkBrowser(env: Deps['env'], platform: NodeJS.Platform): Promise<CheckResult> {
  const name = 'browser'
  const command = env.BROWSER?.trim()
  if (command) {
    const missing = await missingBrowserCommands(env, platform)
    const first = command.split(platform === 'win32' ? ';' : ':')[0]
    if (missing.length === 0) return { name, ok: true, detail: `$BROWSER (${first})` }
    return {
      name,
      ok: false,
      detail: `$BROWSER names ${missing.map((m) => `"${m}"`).join(', ')}, which cannot be found or run`,
      fix: 'set BROWSER to an installed browser command (e.g. firefox, or xdg-open), or unset it to use the system default',
    }
  }
  const reason = browserUnavailableReason(env, platform)
  if (reason === undefined) return { name, ok: true, detail: "the system's default browser" }
  return {
    name,
    ok: 'warn',
    detail: `no browser can be opened here (${reason}): login offers the device flow where the provider has one, else prints the URL and accepts the redirected URL pasted back`,
    fix:
      reason === 'CI'
        ? 'in CI use a static credential (--with-token), client credentials, or oauth-cli export/import'
        : 'open the URL on a machine with a browser and paste the address it lands on, use --device or --remote, or forward the redirect port (ssh -L 3000:localhost:3000 …)',
  }
}

const SOURCE_NAMES: Record<string, string> = { flag: 'a flag', env: 'the environment', dotenv: '.env', config: 'the config file', 'built-in': 'the built-in entry' }

/**
 * Which kind of OAuth client the configuration makes: public (no client secret:
 * PKCE only; at LiveChat a web app whose refresh tokens rotate) or confidential,
 * with the provider's own words for each (`client_kinds`).
 */
export function checkClient(provider: ResolvedProvider): CheckResult {
  const name = 'client'
  const c = provider.config
  const variable = `${provider.env_prefix}_CLIENT_ID`
  if (provider.client_id === undefined) {
    const staticFirst = c.default_login === 'static' ? ` (only needed for --oauth; login uses a static credential by default)` : ''
    return {
      name,
      ok: 'warn',
      detail: `no client id for ${provider.name}${staticFirst}`,
      fix: `set ${variable}, pass --client-id, or add client_id to providers.${provider.name} in the config file`,
    }
  }
  const id = `client id ${provider.client_id} (from ${SOURCE_NAMES[provider.client_id_source] ?? provider.client_id_source})`
  const isPublic = provider.client_secret === undefined || c.token_endpoint_auth_method === 'none'
  if (isPublic) {
    const meaning = c.client_kinds?.public ?? 'no client secret is sent; PKCE protects the code'
    return { name, ok: true, detail: `${id}: a public client, no client secret: ${meaning}` }
  }
  const meaning = c.client_kinds?.confidential ?? `the secret goes with every token request (${c.token_endpoint_auth_method ?? 'client_secret_basic'})`
  const secretFrom = SOURCE_NAMES[provider.client_secret_source] ?? provider.client_secret_source
  return { name, ok: true, detail: `${id}: a confidential client, secret from ${secretFrom}: ${meaning}` }
}

/**
 * Compares the Date header of the provider's token endpoint origin with the
 * local clock (any status will do: only the header matters).
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-6.6.1
 */
export async function checkClock(provider: ResolvedProvider, deps: Deps): Promise<CheckResult> {
  const name = 'clock'
  const c = provider.config
  const endpoint = c.token_endpoint ?? c.issuer ?? c.api_base_url
  if (!endpoint) return { name, ok: 'warn', detail: `${provider.name} has no endpoint to compare the clock with` }
  const origin = new URL(endpoint).origin
  let date: string | null
  try {
    const http = await deps.http()
    const response = await http(`${origin}/`, { method: 'HEAD', redirect: 'manual' })
    date = response.headers.get('date')
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    return { name, ok: false, detail: `cannot reach ${origin}: ${reason}`, fix: 'check the network, and HTTPS_PROXY / NO_PROXY / NODE_EXTRA_CA_CERTS' }
  }
  const remote = date === null ? Number.NaN : Date.parse(date)
  if (Number.isNaN(remote)) return { name, ok: 'warn', detail: `${origin} sent no usable Date header to compare with` }
  const skewSeconds = Math.round((deps.clock.now() - remote) / 1000)
  const within = `${Math.abs(skewSeconds)} s ${skewSeconds >= 0 ? 'ahead of' : 'behind'} ${origin}`
  if (Math.abs(skewSeconds) * 1000 <= MAX_CLOCK_SKEW_MS) return { name, ok: true, detail: `local clock is ${within}` }
  return {
    name,
    ok: 'warn',
    detail: `local clock is ${within}: token expiry times will be off`,
    fix: 'turn on time synchronisation (e.g. timedatectl set-ntp true, or the system settings)',
  }
}

/** Binds the provider's loopback redirect port the way `login` would, then releases it. */
export async function checkRedirectPort(provider: ResolvedProvider, deps: Deps): Promise<CheckResult> {
  const name = 'redirect port'
  const uri = provider.config.redirect_uri
  if (!uri && provider.config.redirect_uri_required) {
    return {
      name,
      ok: 'warn',
      detail: `${provider.name} has no redirect_uri, and no default: ${provider.config.redirect_uri_required}`,
      fix: `pass --redirect-uri <registered HTTPS URL> or set redirect_uri in providers.${provider.name}; or log in with --with-token`,
    }
  }
  if (!uri) return { name, ok: true, detail: `${provider.name} has no redirect_uri: login picks a free loopback port` }
  const url = new URL(uri)
  if (!isLoopbackRedirectUri(url)) {
    return { name, ok: true, detail: `${uri} is not a loopback address: login asks for the redirected URL (no local port)` }
  }
  if (url.port === '0') return { name, ok: true, detail: `${uri}: login picks a free port` }
  const port = url.port || '80'
  const abort = new AbortController()
  try {
    const server = await deps.listen({
      redirectUri: url,
      expectedState: 'oauth-cli-doctor' as State,
      providerName: provider.name,
      profile: 'doctor',
      signal: abort.signal,
    })
    await server.close()
    return { name, ok: true, detail: `port ${port} (${url.hostname}) is free for ${uri}` }
  } catch (err) {
    return portFailure(err, port, uri)
  } finally {
    abort.abort()
  }
}

function portFailure(err: unknown, port: string, uri: string): CheckResult {
  const name = 'redirect port'
  if (err instanceof ListenError && err.code === 'port_in_use') {
    return {
      name,
      ok: false,
      detail: `port ${port} on ${err.host} is in use, so ${uri} cannot receive the login callback`,
      fix: `stop what listens there (lsof -i :${port}), or log in with --port <n> registered with the provider`,
    }
  }
  const reason = err instanceof Error ? err.message : String(err)
  return { name, ok: false, detail: `cannot listen for ${uri}: ${reason}`, fix: 'use a port above 1024 with --port <n> (registered with the provider)' }
}

const MARKS = { ok: '✓', warn: '!', fail: '✗' }

/**
 * One line per check (and its fix), greppable; with `width` (a terminal), a
 * long detail wraps under its column instead.
 */
export function renderDoctor(results: CheckResult[], p: Paint, width = Number.POSITIVE_INFINITY): string {
  const names = Math.max(...results.map((r) => r.name.length))
  const indent = ' '.repeat(names + 4)
  const lines: string[] = []
  for (const r of results) {
    const mark = r.ok === true ? p.green(MARKS.ok) : r.ok === 'warn' ? p.yellow(MARKS.warn) : p.red(MARKS.fail)
    // Details may quote a server (a discovery error, a clock header): escaped, never obeyed.
    const [first = '', ...rest] = wrapWords(escapeControls(r.detail), width - indent.length)
    lines.push(`${mark} ${r.name.padEnd(names)}  ${first}`, ...rest.map((line) => indent + line))
    if (r.fix && r.ok !== true) {
      const [head = '', ...more] = wrapWords(`fix: ${escapeControls(r.fix)}`, width - indent.length)
      lines.push(`${indent}${p.dim('fix:')}${head.slice('fix:'.length)}`, ...more.map((line) => indent + line))
    }
  }
  return `${lines.join('\n')}\n`
}

/** Lines of at most `width` characters, broken at spaces; a longer word (a path) stays whole on its own line. */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  return [...lines, line]
}

/** Exit 0 when every check passed or only warned, 1 when one failed. */
export async function executeDoctor(opts: DoctorOptions, deps: Deps): Promise<ExitCode> {
  const results = await runDoctor(opts, deps)
  const color = deps.io.color && deps.io.stdout.isTTY
  const terminal = deps.io.stdout.isTTY ? TERMINAL_WIDTH : undefined
  deps.io.stdout.write(opts.json ? renderJson(results.map(toCheckJson)) : renderDoctor(results, paint(color), terminal))
  if (!opts.provider && !opts.json) {
    deps.io.stderr.write("to check a provider's clock and redirect port too: oauth-cli doctor <provider>\n")
  }
  return results.some((r) => r.ok === false) ? 1 : 0
}
