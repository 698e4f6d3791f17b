/**
 * The commander tree. Definitions only turn flags into typed options; the run
 * halves live in `commands/*` and are imported when their command runs, so a
 * quick command loads little. Commander's own errors become UsageError (exit 2).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import type { StoreChoice } from '../store/credential-store'
import type { Deps } from './deps'
import { UsageError, type ExitCode } from './errors'
import type {
  CallOptions,
  CommonOptions,
  LoginOptions,
  LogoutOptions,
  ProviderCommandOptions,
  ProvidersOptions,
  StatusOptions,
} from './options'

/** The run halves, injectable so parse tests can pass spies. */
export interface Runners {
  login(opts: LoginOptions, deps: Deps): Promise<ExitCode>
  call(opts: CallOptions, deps: Deps): Promise<ExitCode>
  token(opts: ProviderCommandOptions, deps: Deps): Promise<ExitCode>
  refresh(opts: ProviderCommandOptions, deps: Deps): Promise<ExitCode>
  status(opts: StatusOptions, deps: Deps): Promise<ExitCode>
  logout(opts: LogoutOptions, deps: Deps): Promise<ExitCode>
  providers(opts: ProvidersOptions, deps: Deps): Promise<ExitCode>
}

const lazyRunners: Runners = {
  login: async (o, d) => (await import('./commands/login')).executeLogin(o, d),
  call: async (o, d) => (await import('./commands/call')).executeCall(o, d),
  token: async (o, d) => (await import('./commands/token')).executeToken(o, d),
  refresh: async (o, d) => (await import('./commands/refresh')).executeRefresh(o, d),
  status: async (o, d) => (await import('./commands/status')).executeStatus(o, d),
  logout: async (o, d) => (await import('./commands/logout')).executeLogout(o, d),
  providers: async (o, d) => (await import('./commands/providers')).executeProviders(o, d),
}

export async function runCli(argv: string[], deps: Deps, runners: Runners = lazyRunners): Promise<ExitCode> {
  let code: ExitCode = 0
  const program = buildProgram(deps, runners, (c) => (code = c))
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err
    if (err.exitCode === 0) return 0
    throw new UsageError(err.message.replace(/^error: /, ''), { hint: usageHint(argv) })
  }
  return code
}

function usageHint(argv: string[]): string {
  const command = argv.find((a) => !a.startsWith('-'))
  const known = ['login', 'call', 'token', 'refresh', 'status', 'logout', 'providers']
  return command && known.includes(command) ? `run: oauth-cli ${command} --help` : 'run: oauth-cli --help'
}

export function buildProgram(deps: Deps, runners: Runners, setCode: (code: ExitCode) => void): Command {
  const program = new Command('oauth-cli')
    .description('Get OAuth 2.0 tokens the careful way, and put them to work.')
    .version(__OAUTH_CLI_VERSION__, '--version', 'print the version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => deps.io.stdout.write(s),
      writeErr: (s) => deps.io.stderr.write(s),
      outputError: () => {},
    })
    .showSuggestionAfterError()
  addCommonOptions(program)
  program.addHelpText('after', ROOT_EXAMPLES)
  const common = (cmd: Command): CommonOptions => commonOptions(program, cmd)
  const act = (run: () => Promise<ExitCode>): Promise<void> => run().then(setCode)

  addCommonOptions(program.command('login').argument('<provider>'))
    .description('log in: authorization code + PKCE in the browser, --device, or --with-token')
    .option('--scope <scope...>', 'scopes to request (default: the provider entry\'s scope)')
    .option('--port <n>', 'port of the loopback redirect URI (must be registered with the provider)', parsePort)
    .option('--redirect-uri <uri>', 'redirect URI to use instead of the provider\'s default')
    .option('--no-browser', 'print the authorization URL instead of opening a browser; wait all the same')
    .option('--timeout <seconds>', 'how long to wait for the login to complete', parsePositiveInt, 300)
    .option('--client-id <id>', 'OAuth client id (else <PROVIDER>_CLIENT_ID, .env or the config file)')
    .option('--client-secret-stdin', 'read the client secret from stdin (a secret never goes in argv)')
    .option('--with-token', 'store a static credential read from stdin (or a hidden prompt) instead of OAuth')
    .option('--device', 'use the device authorization grant (RFC 8628)')
    .option('--oauth', 'use OAuth even where the provider\'s default is a static credential (tidio)')
    .addHelpText('after', LOGIN_EXAMPLES)
    .action((provider: string, o: Record<string, unknown>, cmd: Command) =>
      act(() =>
        runners.login(
          {
            ...common(cmd),
            provider,
            scope: o.scope as string[] | undefined,
            port: o.port as number | undefined,
            redirectUri: o.redirectUri as string | undefined,
            browser: o.browser !== false,
            timeoutSeconds: o.timeout as number,
            clientId: o.clientId as string | undefined,
            clientSecretStdin: o.clientSecretStdin === true,
            withToken: o.withToken === true,
            device: o.device === true,
            oauth: o.oauth === true,
          },
          deps,
        ),
      ),
    )

  addCommonOptions(program.command('call').argument('<provider>').argument('<path-or-url>'), { json: false })
    .description('send an authenticated HTTP request; the response body goes to stdout')
    .option('-X, --method <method>', 'HTTP method (default GET, or POST when a body is given)')
    .option('-H, --header <header>', "extra header 'Name: value' (repeatable)", collect, [])
    .option('-d, --data <data>', 'request body: text, @file, or @- for stdin')
    .option('--json <data>', 'JSON request body (text, @file or @-); sets Content-Type: application/json')
    .option('-q, --query <key=value>', 'query parameter (repeatable)', collect, [])
    .option('-i, --include', 'print the status line and response headers before the body')
    .option('--paginate', "follow the provider's pagination (where it is known)")
    .addHelpText('after', CALL_EXAMPLES)
    .action((provider: string, target: string, o: Record<string, unknown>, cmd: Command) =>
      act(() =>
        runners.call(
          {
            ...common(cmd),
            json: false,
            provider,
            target,
            method: o.method as string | undefined,
            headers: o.header as string[],
            data: o.data as string | undefined,
            jsonBody: o.json as string | undefined,
            query: o.query as string[],
            include: o.include === true,
            paginate: o.paginate === true,
          },
          deps,
        ),
      ),
    )

  addCommonOptions(program.command('token').argument('<provider>'))
    .description('print a valid access token and nothing else (refreshing first when needed)')
    .addHelpText('after', '\nExamples:\n  TOKEN=$(oauth-cli token livestorm)\n  oauth-cli token livechat --profile work\n')
    .action((provider: string, _o: unknown, cmd: Command) =>
      act(() => runners.token({ ...common(cmd), provider }, deps)),
    )

  addCommonOptions(program.command('refresh').argument('<provider>'))
    .description('refresh the tokens now and store them (a rotated refresh token replaces the old one)')
    .addHelpText('after', '\nExamples:\n  oauth-cli refresh livechat\n  oauth-cli refresh acme --json\n')
    .action((provider: string, _o: unknown, cmd: Command) =>
      act(() => runners.refresh({ ...common(cmd), provider }, deps)),
    )

  addCommonOptions(program.command('status').argument('[provider]'))
    .description('list stored credentials (never a secret)')
    .addHelpText('after', '\nExamples:\n  oauth-cli status\n  oauth-cli status livechat --json\n')
    .action((provider: string | undefined, _o: unknown, cmd: Command) =>
      act(() => runners.status({ ...common(cmd), provider }, deps)),
    )

  addCommonOptions(program.command('logout').argument('<provider>'))
    .description('revoke at the provider where it can, then delete the stored credentials')
    .option('--local', 'only delete the stored credentials, without revoking')
    .addHelpText('after', '\nExamples:\n  oauth-cli logout livechat\n  oauth-cli logout acme --profile work --local\n')
    .action((provider: string, o: Record<string, unknown>, cmd: Command) =>
      act(() => runners.logout({ ...common(cmd), provider, local: o.local === true }, deps)),
    )

  addCommonOptions(program.command('providers'))
    .description('list built-in and configured providers with their endpoints')
    .addHelpText('after', '\nExamples:\n  oauth-cli providers\n  oauth-cli providers --json\n')
    .action((_o: unknown, cmd: Command) => act(() => runners.providers(common(cmd), deps)))

  return program
}

/**
 * Common options are accepted both before the command (`oauth-cli --profile w
 * token x`) and after it; after wins.
 */
function addCommonOptions(cmd: Command, which: { json: boolean } = { json: true }): Command {
  cmd
    .option('--profile <name>', 'which account of the provider (default "default")', parseProfile)
    .option('--verbose', 'trace HTTP on stderr, every secret redacted')
    .option('--config <file>', 'config file (default $OAUTH_CLI_CONFIG or ~/.config/oauth-cli/config.json)')
    .addOption(new Option('--store <store>', 'where credentials live').choices(['keychain', 'file']))
    .option('--no-color', 'no colour in output')
  if (which.json) cmd.option('--json', 'machine-readable output on stdout')
  return cmd
}

function commonOptions(program: Command, cmd: Command): CommonOptions {
  const root = program.opts<Record<string, unknown>>()
  const own = cmd.opts<Record<string, unknown>>()
  const pick = <T>(name: string): T | undefined => (own[name] ?? root[name]) as T | undefined
  return {
    profile: pick<string>('profile') ?? 'default',
    json: pick<boolean>('json') === true,
    verbose: pick<boolean>('verbose') === true,
    config: pick<string>('config'),
    store: (pick<string>('store') ?? 'auto') as StoreChoice,
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

function parsePort(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535')
  return n
}

function parsePositiveInt(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('expected a whole number of seconds, at least 1')
  return n
}

function parseProfile(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(value)) {
    throw new InvalidArgumentError('use letters, digits, ".", "_" or "-" (at most 64)')
  }
  return value
}

const ROOT_EXAMPLES = `
Examples:
  oauth-cli login livechat                      # browser login, tokens to the OS keychain
  oauth-cli call livechat /v3.6/agent/action/list_chats -d '{}'
  TOKEN=$(oauth-cli token livestorm)            # for scripts and CI
  oauth-cli status --json

Exit codes: 0 ok, 1 failure or refused, 2 usage/config, 3 login needed, 4 HTTP error status, 5 network/timeout
`

const LOGIN_EXAMPLES = `
Examples:
  oauth-cli login livechat
  LIVECHAT_CLIENT_ID=… oauth-cli login livechat --port 3000
  printf '%s' "$CLIENT_SECRET" | oauth-cli login acme --client-secret-stdin
  oauth-cli login livestorm --redirect-uri https://example.com/callback   # paste mode
  printf '%s' "$ACCOUNT_ID:$PAT" | oauth-cli login livechat --with-token
  oauth-cli login acme --device
`

const CALL_EXAMPLES = `
Examples:
  oauth-cli call livechat /v3.6/agent/action/list_chats -d '{}'
  oauth-cli call livestorm /events -q 'page[size]=10'
  oauth-cli call tidio /contacts -i
  oauth-cli call acme https://api.acme.example/v1/me -H 'Accept: application/json'
`
