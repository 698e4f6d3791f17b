/**
 * The commander tree: the root program and a table of commands. Each command
 * is one module in `commands/` holding its definition (flags → typed options,
 * examples) beside its run half, gh's `NewCmdX(f, runF)`. Only the module of
 * the command being run is imported, so a quick command loads little; help
 * and unknown commands load them all. Commander's own errors become
 * UsageError (exit 2).
 */
import { Command, CommanderError } from 'commander'
import { addCommonOptions, createCommandContext, type CommandContext } from './command-kit'
import type { AuthorizeOptions } from './commands/authorize'
import type { CallOptions } from './commands/call'
import type { CompletionOptions } from './commands/completion'
import type { DemoOptions } from './commands/demo'
import type { DoctorOptions } from './commands/doctor'
import type { ExportOptions } from './commands/export'
import type { ImportOptions } from './commands/import'
import type { LoginOptions } from './commands/login'
import type { LogoutOptions } from './commands/logout'
import type { ProfileListOptions, ProfileUseOptions } from './commands/profile'
import type { ProvidersOptions } from './commands/providers'
import type { SandboxCommandOptions } from './commands/sandbox'
import type { StatusOptions } from './commands/status'
import type { TokenOptions } from './commands/token'
import type { Deps } from './deps'
import { UsageError, type ExitCode } from './errors'
import { TERMINAL_WIDTH } from './render'
import { hintWithSuggestion } from './suggest'
import { VERSION_LINE } from './commands/version'
import { flagPointer } from './flag-pointers'
import { COMMON_FLAGS, JSON_FLAG, longName, takesValue, type ProviderCommandOptions } from './options'

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

type Define = (ctx: CommandContext, runners: Partial<Runners>) => void

/** The commands, in the order `--help` lists them: name → its module's definition. */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Define>]> = [
  ['login', async () => { const m = await import('./commands/login'); return (c, r) => m.defineLogin(c, r.login) }],
  ['call', async () => { const m = await import('./commands/call'); return (c, r) => m.defineCall(c, r.call) }],
  ['token', async () => { const m = await import('./commands/token'); return (c, r) => m.defineToken(c, r.token) }],
  ['refresh', async () => { const m = await import('./commands/refresh'); return (c, r) => m.defineRefresh(c, r.refresh) }],
  ['status', async () => { const m = await import('./commands/status'); return (c, r) => m.defineStatus(c, r.status) }],
  ['logout', async () => { const m = await import('./commands/logout'); return (c, r) => m.defineLogout(c, r.logout) }],
  ['providers', async () => { const m = await import('./commands/providers'); return (c, r) => m.defineProviders(c, r.providers) }],
  ['doctor', async () => { const m = await import('./commands/doctor'); return (c, r) => m.defineDoctor(c, r.doctor) }],
  ['completion', async () => { const m = await import('./commands/completion'); return (c, r) => m.defineCompletion(c, r.completion) }],
  ['authorize', async () => { const m = await import('./commands/authorize'); return (c, r) => m.defineAuthorize(c, r.authorize) }],
  ['export', async () => { const m = await import('./commands/export'); return (c, r) => m.defineExport(c, r.exportBundle) }],
  ['import', async () => { const m = await import('./commands/import'); return (c, r) => m.defineImport(c, r.importBundle) }],
  ['profile', async () => { const m = await import('./commands/profile'); return (c, r) => m.defineProfile(c, r.profileUse, r.profileList) }],
  ['sandbox', async () => { const m = await import('./commands/sandbox'); return (c, r) => m.defineSandbox(c, r.sandbox) }],
  ['demo', async () => { const m = await import('./commands/demo'); return (c, r) => m.defineDemo(c, r.demo) }],
  ['version', async () => { const m = await import('./commands/version'); return (c) => m.defineVersion(c) }],
  ['__complete', async () => { const m = await import('./commands/completion'); return (c, r) => m.defineComplete(c, r.complete) }],
]

export async function runCli(argv: string[], deps: Deps, runners: Partial<Runners> = {}): Promise<ExitCode> {
  checkHelpTopic(argv)
  let code: ExitCode = 0
  const program = await buildProgram(deps, runners, (c) => (code = c), argv)
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err
    if (err.exitCode === 0) return 0
    // No command: commander has already printed the help on stderr.
    if (err.code === 'commander.help') return 2
    throw usageError(err, argv, program)
  }
  return code
}

/**
 * The option commander found unknown, without anything glued to it: `-uuser:pw`
 * and `-Lf` are reported whole, `--password=pw` with its value, and either may be a secret.
 */
function optionName(reported: string): string {
  if (reported.startsWith('--')) return reported.split('=')[0] as string
  return reported.slice(0, 2)
}

/** Commander's message with one did-you-mean wording (`did you mean "x"?`, as for providers) and the right help hint. */
function usageError(err: CommanderError, argv: string[], program: Command): UsageError {
  const text = err.message.replace(/^error: /, '')
  const [first = text] = text.split('\n')
  const suggested = /\(Did you mean (\S+?)\?\)/.exec(text)?.[1]
  // Only the name is repeated (see optionName): an unknown option's value may be a secret typed in the wrong place.
  const reported = /^unknown option '([^']+)'/.exec(first)?.[1]
  const option = reported === undefined ? undefined : optionName(reported)
  const pointer = option === undefined ? undefined : flagPointer(option, argv, commandWord(argv))
  const lines = [pointer?.hint ?? (suggested ? `did you mean "${suggested}"?` : undefined), usageHint(argv, program)].filter(Boolean)
  const message = pointer?.refused ?? (option === undefined ? inHouseStyle(first) : `unknown option '${option}'`)
  return new UsageError(message, { hint: lines.join('\n') })
}

/**
 * Commander's two-sentence messages in the house style (STYLE.md: lower-case, no trailing period):
 * "… is invalid. expected …", "… for 'list'. Expected 0 arguments …", "…. Allowed choices are …".
 * Only those joins: a value quoted in the message is never rewritten.
 */
function inHouseStyle(message: string): string {
  return message
    .replace(/ is invalid\. /, ' is invalid: ')
    .replace(/'\. (Expected|Allowed) /, (_m, word: string) => `': ${word.toLowerCase()} `)
    .replace(/\.$/, '')
}

/** `help <unknown>`: an unknown command (exit 2, with did-you-mean), not the general help. */
function checkHelpTopic(argv: string[]): void {
  if (argv[0] !== 'help' || argv[1] === undefined || argv[1].startsWith('-')) return
  const names = COMMANDS.map(([name]) => name).filter((name) => !name.startsWith('__'))
  if (names.includes(argv[1])) return
  throw new UsageError(`unknown command '${argv[1]}'`, { hint: hintWithSuggestion(argv[1], names, 'run: oauth-cli --help') })
}

/** The help of the command argv names, down to its subcommand (`profile use --help`), else the root's. */
function usageHint(argv: string[], program: Command): string {
  const name = commandWord(argv) ?? argv.find((a) => !a.startsWith('-'))
  const command = program.commands.find((cmd) => cmd.name() === name)
  if (name === undefined || command === undefined) return 'run: oauth-cli --help'
  const next = argv.slice(argv.indexOf(name) + 1).find((a) => !a.startsWith('-'))
  const sub = command.commands.find((cmd) => cmd.name() === next)
  return `run: oauth-cli ${sub ? `${name} ${sub.name()}` : name} --help`
}

/**
 * The program with the command `argv` names, or with every command when argv
 * is not given or names none of them (help, a typo: commander then lists or
 * suggests from all of them).
 */
export async function buildProgram(
  deps: Deps,
  runners: Partial<Runners>,
  setCode: (code: ExitCode) => void,
  argv?: readonly string[],
): Promise<Command> {
  const program = new Command('oauth-cli')
    .description('Get OAuth 2.0 tokens the careful way, and put them to work.')
    .version(VERSION_LINE, '-V, --version', 'print the version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => deps.io.stdout.write(s),
      writeErr: (s) => deps.io.stderr.write(s),
      outputError: () => {},
      // A fixed width: help is also precomputed at build time (scripts/build.mjs) and must read the same.
      getOutHelpWidth: () => TERMINAL_WIDTH,
      getErrHelpWidth: () => TERMINAL_WIDTH,
    })
    .configureHelp({
      // The root lists each command with its arguments only (its options are in its own --help):
      // with "[options]" the widest name left descriptions too little room to wrap within TERMINAL_WIDTH.
      subcommandTerm: (cmd) => [cmd.name(), cmd.usage().replace(/^\[options\] ?/, '')].filter(Boolean).join(' '),
    })
    .showSuggestionAfterError()
  addCommonOptions(program)
  program.addHelpText('after', ROOT_EXAMPLES)
  const word = argv && commandWord(argv)
  const chosen = COMMANDS.filter(([name]) => name === word)
  const defines = await Promise.all((chosen.length > 0 ? chosen : COMMANDS).map(([, load]) => load()))
  const ctx = createCommandContext(deps, program, setCode)
  for (const define of defines) define(ctx, runners)
  return program
}

/** The first word that is not a root option or its value: the command, if argv names one. */
export function commandWord(argv: readonly string[]): string | undefined {
  const rows = Object.values({ ...COMMON_FLAGS, ...JSON_FLAG })
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!arg.startsWith('-')) return arg
    if (rows.some((r) => arg.startsWith(`${longName(r)}=`))) continue
    const row = rows.find((r) => longName(r) === arg)
    // --help, --version, `--` or an unknown option: commander decides, with every command.
    if (!row) return undefined
    if (takesValue(row)) i++
  }
  return undefined
}

const ROOT_EXAMPLES = `
Examples:
  oauth-cli demo                      # the whole loop on a local sandbox
  oauth-cli login livechat            # browser login, tokens to the OS keychain
  oauth-cli call livechat /v3.6/agent/action/list_chats -d '{}'
  TOKEN=$(oauth-cli token livestorm)  # for scripts and CI
  oauth-cli status --json

Exit codes: 0 ok, 1 failure or refused, 2 usage/config, 3 login needed,
            4 HTTP error status, 5 network/timeout
`
