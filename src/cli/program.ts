/**
 * The commander tree. Definitions only turn flags into typed options; the run
 * halves live in `commands/*` and are imported when their command runs, so a
 * quick command loads little. Commander's own errors become UsageError (exit 2).
 */
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { SANDBOX_DEFAULT_ACCESS_TOKEN_TTL } from '../sandbox/provider'
import type { StoreChoice } from '../store/credential-store'
import type { DemoOptions } from './commands/demo'
import type { SandboxCommandOptions } from './commands/sandbox'
import type { Deps } from './deps'
import { UsageError, type ExitCode } from './errors'
import { rememberContext } from './error-context'
import type {
  AuthorizeOptions,
  CallOptions,
  CommonOptions,
  CompletionOptions,
  CompletionShell,
  DoctorOptions,
  ExportOptions,
  ImportOptions,
  LoginOptions,
  LogoutOptions,
  ProfileListOptions,
  ProfileUseOptions,
  ProviderCommandOptions,
  ProvidersOptions,
  StatusOptions,
  TokenOptions,
} from './options'

/** The run halves, injectable so parse tests can pass spies. */
export interface Runners {
  login(opts: LoginOptions, deps: Deps): Promise<ExitCode>
  call(opts: CallOptions, deps: Deps): Promise<ExitCode>
  token(opts: TokenOptions, deps: Deps): Promise<ExitCode>
  refresh(opts: ProviderCommandOptions, deps: Deps): Promise<ExitCode>
  status(opts: StatusOptions, deps: Deps): Promise<ExitCode>
  logout(opts: LogoutOptions, deps: Deps): Promise<ExitCode>
  providers(opts: ProvidersOptions, deps: Deps): Promise<ExitCode>
  doctor(opts: DoctorOptions, deps: Deps): Promise<ExitCode>
  completion(opts: CompletionOptions, deps: Deps): Promise<ExitCode>
  /** The hidden `__complete -- <words…>` the completion scripts call. */
  complete(words: string[], deps: Deps): Promise<ExitCode>
  authorize(opts: AuthorizeOptions, deps: Deps): Promise<ExitCode>
  sandbox(opts: SandboxCommandOptions, deps: Deps): Promise<ExitCode>
  demo(opts: DemoOptions, deps: Deps): Promise<ExitCode>
  exportBundle(opts: ExportOptions, deps: Deps): Promise<ExitCode>
  importBundle(opts: ImportOptions, deps: Deps): Promise<ExitCode>
  profileUse(opts: ProfileUseOptions, deps: Deps): Promise<ExitCode>
  profileList(opts: ProfileListOptions, deps: Deps): Promise<ExitCode>
}

const lazyRunners: Runners = {
  login: async (o, d) => (await import('./commands/login')).executeLogin(o, d),
  call: async (o, d) => (await import('./commands/call')).executeCall(o, d),
  token: async (o, d) => (await import('./commands/token')).executeToken(o, d),
  refresh: async (o, d) => (await import('./commands/refresh')).executeRefresh(o, d),
  status: async (o, d) => (await import('./commands/status')).executeStatus(o, d),
  logout: async (o, d) => (await import('./commands/logout')).executeLogout(o, d),
  providers: async (o, d) => (await import('./commands/providers')).executeProviders(o, d),
  doctor: async (o, d) => (await import('./commands/doctor')).executeDoctor(o, d),
  completion: async (o, d) => (await import('./commands/completion')).executeCompletion(o, d),
  complete: async (w, d) => (await import('./commands/completion')).executeComplete(w, d),
  authorize: async (o, d) => (await import('./commands/authorize')).executeAuthorize(o, d),
  sandbox: async (o, d) => (await import('./commands/sandbox')).executeSandbox(o, d),
  demo: async (o, d) => (await import('./commands/demo')).executeDemo(o, d),
  exportBundle: async (o, d) => (await import('./commands/export')).executeExport(o, d),
  importBundle: async (o, d) => (await import('./commands/import')).executeImport(o, d),
  profileUse: async (o, d) => (await import('./commands/profile')).executeProfileUse(o, d),
  profileList: async (o, d) => (await import('./commands/profile')).executeProfileList(o, d),
}

/** Columns help text wraps at, in every terminal. */
export const HELP_WIDTH = 80

export async function runCli(argv: string[], deps: Deps, runners: Partial<Runners> = {}): Promise<ExitCode> {
  let code: ExitCode = 0
  const program = buildProgram(deps, { ...lazyRunners, ...runners }, (c) => (code = c))
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err
    if (err.exitCode === 0) return 0
    // No command (or `help <unknown>`): commander has already printed the help on stderr.
    if (err.code === 'commander.help') return 2
    throw new UsageError(err.message.replace(/^error: /, ''), { hint: usageHint(argv, program) })
  }
  return code
}

function usageHint(argv: string[], program: Command): string {
  const command = argv.find((a) => !a.startsWith('-'))
  const known = program.commands.some((cmd) => cmd.name() === command)
  return command && known ? `run: oauth-cli ${command} --help` : 'run: oauth-cli --help'
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
      // A fixed width: help is also precomputed at build time (scripts/build.mjs) and must read the same.
      getOutHelpWidth: () => HELP_WIDTH,
      getErrHelpWidth: () => HELP_WIDTH,
    })
    .showSuggestionAfterError()
  addCommonOptions(program)
  program.addHelpText('after', ROOT_EXAMPLES)
  // Profiles resolved by `act` for commands on a provider: --profile, OAUTH_CLI_PROFILE, profiles.json, "default".
  const profiles = new WeakMap<Command, string>()
  const common = (cmd: Command): CommonOptions => {
    const { profile, ...rest } = commonOptions(program, cmd)
    return { ...rest, profile: profiles.get(cmd) ?? profile ?? 'default' }
  }
  const act = async (run: () => Promise<ExitCode>, cmd?: Command, provider?: string): Promise<void> => {
    try {
      if (cmd && provider) {
        const { resolveProfile } = await import('../session/profiles')
        profiles.set(cmd, (await resolveProfile(provider, commonOptions(program, cmd).profile, deps)).profile)
      }
      setCode(await run())
    } catch (err) {
      if (cmd && provider) throw rememberContext(err, { provider, profile: common(cmd).profile })
      throw err
    }
  }

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
    .option('--remote', 'log in from a machine without a browser: prints a command to run where there is one')
    .option('--client-credentials', 'client credentials grant (RFC 6749 §4.4): tokens for the client itself, fetched again on expiry')
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
            remote: o.remote === true,
            clientCredentials: o.clientCredentials === true,
          },
          deps,
        ),
      cmd,
      provider,
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
    .option('--paginate', "follow the provider's pagination and print one merged JSON array")
    .option('--ndjson', 'with --paginate: one JSON item per line instead of one array')
    .option('-o, --output <file>', 'write the response body to <file> instead of stdout')
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
            ndjson: o.ndjson === true,
            output: o.output as string | undefined,
          },
          deps,
        ),
      cmd,
      provider,
      ),
    )

  addCommonOptions(program.command('token').argument('<provider>'))
    .description('print a valid access token and nothing else (refreshing first when needed)')
    .option('--min-ttl <seconds>', 'refresh first unless the token lives at least this long; exit 1 if the provider\'s tokens never do', parsePositiveInt)
    .addHelpText('after', TOKEN_EXAMPLES)
    .action((provider: string, o: Record<string, unknown>, cmd: Command) =>
      act(() => runners.token({ ...common(cmd), provider, minTtlSeconds: o.minTtl as number | undefined }, deps), cmd, provider),
    )

  addCommonOptions(program.command('refresh').argument('<provider>'))
    .description('refresh the tokens now and store them (a rotated refresh token replaces the old one)')
    .addHelpText('after', '\nExamples:\n  oauth-cli refresh livechat\n  oauth-cli refresh acme --json\n')
    .action((provider: string, _o: unknown, cmd: Command) =>
      act(() => runners.refresh({ ...common(cmd), provider }, deps), cmd, provider),
    )

  addCommonOptions(program.command('status').argument('[provider]'))
    .description('list stored credentials (never a secret)')
    .addHelpText('after', '\nExamples:\n  oauth-cli status\n  oauth-cli status livechat --json\n')
    .action((provider: string | undefined, _o: unknown, cmd: Command) =>
      act(async () => {
        const { envProfile } = await import('../session/profiles')
        const profile = commonOptions(program, cmd).profile ?? envProfile(deps.env)
        return runners.status({ ...common(cmd), provider, profile }, deps)
      }),
    )

  addCommonOptions(program.command('logout').argument('<provider>'))
    .description('revoke at the provider where it can, then delete the stored credentials')
    .option('--local', 'only delete the stored credentials, without revoking')
    .addHelpText('after', '\nExamples:\n  oauth-cli logout livechat\n  oauth-cli logout acme --profile work --local\n')
    .action((provider: string, o: Record<string, unknown>, cmd: Command) =>
      act(() => runners.logout({ ...common(cmd), provider, local: o.local === true }, deps), cmd, provider),
    )

  addCommonOptions(program.command('providers'))
    .description('list built-in and configured providers with their endpoints')
    .addHelpText('after', '\nExamples:\n  oauth-cli providers\n  oauth-cli providers --json\n')
    .action((_o: unknown, cmd: Command) => act(() => runners.providers(common(cmd), deps)))

  addCommonOptions(program.command('doctor').argument('[provider]'))
    .description('check the keychain, file store, config, proxy, CA, browser, and a provider\'s clock and redirect port')
    .addHelpText('after', '\nExamples:\n  oauth-cli doctor\n  oauth-cli doctor livechat\n  oauth-cli doctor acme --json\n')
    .action((provider: string | undefined, _o: unknown, cmd: Command) =>
      act(() => runners.doctor({ ...common(cmd), provider }, deps)),
    )

  program
    .command('completion')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .description('print a shell completion script (commands, flags, provider and profile names)')
    .addHelpText('after', COMPLETION_EXAMPLES)
    .action((shell: CompletionShell) => act(() => runners.completion({ shell }, deps)))

  addCommonOptions(program.command('authorize').argument('<request>'), { json: false })
    .description('the browser side of `login --remote`: approve in the browser, print the answer to paste back')
    .option('--no-browser', 'print the URL instead of opening a browser')
    .option('--timeout <seconds>', 'how long to wait for the browser', parsePositiveInt, 300)
    .addHelpText('after', "\nExamples:\n  oauth-cli authorize 'oauth-cli-remote:v1:…'   # the command `login --remote` printed\n")
    .action((request: string, o: Record<string, unknown>, cmd: Command) =>
      act(() =>
        runners.authorize(
          { ...common(cmd), request, browser: o.browser !== false, timeoutSeconds: o.timeout as number },
          deps,
        ),
      ),
    )

  addCommonOptions(program.command('export').argument('<provider>'), { json: false })
    .description('print the stored credential as a one-line bundle for a CI secret store (it holds secrets)')
    .addHelpText('after', EXPORT_EXAMPLES)
    .action((provider: string, _o: unknown, cmd: Command) =>
      act(() => runners.exportBundle({ ...common(cmd), provider }, deps), cmd, provider),
    )

  addCommonOptions(program.command('import'))
    .description('store a credential bundle read from stdin (made by oauth-cli export); --profile renames it')
    .addHelpText('after', IMPORT_EXAMPLES)
    .action((_o: unknown, cmd: Command) =>
      act(() => runners.importBundle({ ...common(cmd), profile: commonOptions(program, cmd).profile }, deps)),
    )

  const profile = program
    .command('profile')
    .description('the profile each provider uses without --profile (kept in profiles.json)')
    .addHelpText('after', PROFILE_EXAMPLES)
  addCommonOptions(profile.command('use').argument('<provider>').argument('<name>'))
    .description('make <name> the default profile of <provider>; "default" resets it')
    .addHelpText('after', PROFILE_EXAMPLES)
    .action((provider: string, name: string, _o: unknown, cmd: Command) =>
      act(() => runners.profileUse({ ...common(cmd), provider, name }, deps)),
    )
  addCommonOptions(profile.command('list', { isDefault: true }))
    .description('list providers with the profile each uses by default (also plain `oauth-cli profile`)')
    .action((_o: unknown, cmd: Command) => act(() => runners.profileList(common(cmd), deps)))

  program
    .command('sandbox')
    .description('serve a local OAuth 2.0 provider on 127.0.0.1 to try everything without an account')
    .option('--port <n>', 'port to listen on (default 8976, which the built-in `sandbox` provider points at)', parsePort)
    .option('--access-token-ttl <seconds>', `lifetime of access tokens (default ${SANDBOX_DEFAULT_ACCESS_TOKEN_TTL}); a short one, e.g. 30, shows refreshes`, parsePositiveInt)
    .addHelpText('after', '\nExamples:\n  oauth-cli sandbox &\n  oauth-cli login sandbox\n  oauth-cli call sandbox /me\n')
    .action((o: Record<string, unknown>) =>
      act(() => runners.sandbox({ port: o.port as number | undefined, accessTokenTtl: o.accessTokenTtl as number | undefined }, deps)),
    )

  program
    .command('demo')
    .description('run login, call, refresh, status and logout against a sandbox it starts itself, in a throwaway store')
    .option('--no-browser', 'approve on the sandbox by itself even where a browser could open')
    .addHelpText('after', DEMO_EXAMPLES)
    .action((o: Record<string, unknown>) => act(() => runners.demo({ browser: o.browser !== false }, deps)))

  program
    .command('__complete', { hidden: true })
    .argument('[words...]')
    .action((words: string[]) => act(() => runners.complete(words, deps)))

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
    // Read by scanGlobalFlags before parsing (Deps builds the HTTP client); declared here for validation and --help.
    .option('--request-timeout <seconds>', 'connect, header and body timeout of each HTTP request (default 30)', parsePositiveInt)
    .option('--cacert <file>', 'PEM file of extra CA certificates to trust for every request')
  if (which.json) cmd.option('--json', 'machine-readable output on stdout')
  return cmd
}

/** `profile` is left undefined when not given: `act` resolves it for commands on a provider. */
function commonOptions(program: Command, cmd: Command): Omit<CommonOptions, 'profile'> & { profile?: string } {
  const root = program.opts<Record<string, unknown>>()
  const own = cmd.opts<Record<string, unknown>>()
  const pick = <T>(name: string): T | undefined => (own[name] ?? root[name]) as T | undefined
  return {
    profile: pick<string>('profile'),
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

const DEMO_EXAMPLES = `
Nothing is written to your keychain or config: the store and config live in a
temp dir that is removed at the end. Without a browser (CI, SSH, no display)
the sandbox approves the login by itself.

Examples:
  oauth-cli demo
  oauth-cli demo --no-browser
`

const ROOT_EXAMPLES = `
Examples:
  oauth-cli demo                                # the whole loop against a local sandbox, nothing stored
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
  oauth-cli call livestorm /events --paginate > events.json
  oauth-cli call tidio /contacts --paginate --ndjson | jq -r .email
  oauth-cli call livechat /v3.6/agent/action/list_chats -d '{}' --paginate -o chats.json
`

const TOKEN_EXAMPLES = `
Examples:
  TOKEN=$(oauth-cli token livestorm)
  oauth-cli token livechat --profile work
  oauth-cli token acme --min-ttl 900              # at least 15 minutes left, for a long job
  OAUTH_CLI_ACME_TOKEN=… oauth-cli token acme     # from the environment: nothing stored or refreshed
`

const EXPORT_EXAMPLES = `
Examples:
  oauth-cli export acme | gh secret set OAUTH_CLI_BUNDLE       # then, in CI:
  printf '%s' "$OAUTH_CLI_BUNDLE" | oauth-cli import --store file
  oauth-cli export livechat --profile work > bundle.txt
`

const IMPORT_EXAMPLES = `
Examples:
  printf '%s' "$OAUTH_CLI_BUNDLE" | oauth-cli import --store file
  oauth-cli import --profile ci < bundle.txt
`

const PROFILE_EXAMPLES = `
Examples:
  oauth-cli profile use livechat work       # "oauth-cli call livechat …" now means --profile work
  oauth-cli profile use livechat default    # back to the built-in default
  oauth-cli profile list
`

const COMPLETION_EXAMPLES = `
Examples:
  source <(oauth-cli completion bash)                     # in ~/.bashrc
  oauth-cli completion zsh > "\${fpath[1]}/_oauth-cli"
  oauth-cli completion fish > ~/.config/fish/completions/oauth-cli.fish
`
