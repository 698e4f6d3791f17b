/**
 * `oauth-cli completion bash|zsh|fish` prints a small shell script; at each
 * Tab it runs the hidden `oauth-cli __complete -- <words…>`, which answers from
 * the commander tree itself (so commands and flags never drift from the real
 * ones), plus provider names (built-in and config file) and stored profile names.
 */
import { BUILT_IN_PROVIDERS } from '../../providers/catalog'
import { listProviders } from '../../providers/resolve'
import { isValidProfileName } from '../../session/profiles'
import { readConfig } from '../../session/provider-context'
import type { StoreChoice } from '../../store/credential-store'
import type { Deps } from '../deps'
import type { Runners } from '../program'
import type { ExitCode } from '../errors'
import { Argument, type Command, type Option } from 'commander'
import { offeredValues, type CommandContext } from '../command-kit'

export type CompletionShell = 'bash' | 'zsh' | 'fish'

export interface CompletionOptions {
  shell: CompletionShell
}

export function defineCompletion(
  ctx: CommandContext,
  run: (opts: CompletionOptions, deps: Deps) => Promise<ExitCode> = executeCompletion,
): Command {
  return ctx.program
    .command('completion')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .description('print a shell completion script (commands, flags, provider and profile names)')
    .addHelpText('after', COMPLETION_EXAMPLES)
    .action((shell: CompletionShell) => ctx.act(() => run({ shell }, ctx.deps)))
}

/** The hidden `__complete -- <words…>` the completion scripts call. */
export function defineComplete(ctx: CommandContext, run: (words: string[], deps: Deps) => Promise<ExitCode> = executeComplete): Command {
  return ctx.program
    .command('__complete', { hidden: true })
    .argument('[words...]')
    .action((words: string[]) => ctx.act(() => run(words, ctx.deps)))
}

const COMPLETION_EXAMPLES = `
Examples:
  source <(oauth-cli completion bash)                     # in ~/.bashrc
  oauth-cli completion zsh > "\${fpath[1]}/_oauth-cli"
  oauth-cli completion fish > ~/.config/fish/completions/oauth-cli.fish
`

export interface OptionSpec {
  /** `--profile`, `-X` … */
  flags: string[]
  /** Attribute name as commander names it (`profile`, `output`). */
  name: string
  takesValue: boolean
  variadic: boolean
  choices?: string[]
}

export interface ArgumentSpec {
  name: string
  variadic: boolean
  choices?: string[]
}

export interface CommandSpec {
  name: string
  options: OptionSpec[]
  args: ArgumentSpec[]
  /** `profile use|list`: the words that may come first, each a command of its own. */
  commands: CommandSpec[]
}

export interface CompletionTree {
  rootOptions: OptionSpec[]
  commands: CommandSpec[]
}

/** Told to the shell scripts: complete file names instead of the (empty) list. */
export const FILE_DIRECTIVE = ':file'

/** Options whose value is a file name. */
const FILE_OPTIONS = new Set(['config', 'output', 'cacert'])

/** What the commander tree says; hidden commands (`__complete`) are left out. */
export function describeProgram(program: Command): CompletionTree {
  return {
    rootOptions: program.options.map(describeOption),
    commands: describeCommands(program),
  }
}

function describeCommands(parent: Command): CommandSpec[] {
  return parent.commands
    .filter((cmd) => !cmd.name().startsWith('_'))
    .map((cmd) => ({
      name: cmd.name(),
      options: cmd.options.filter((o) => !o.hidden).map(describeOption),
      args: cmd.registeredArguments.map(describeArgument),
      commands: describeCommands(cmd),
    }))
}

function describeOption(option: Option): OptionSpec {
  const flags = [option.long, option.short].filter((f): f is string => typeof f === 'string')
  const choices = option.argChoices ?? offeredValues(option)
  return {
    flags,
    name: option.attributeName(),
    takesValue: option.required || option.optional,
    variadic: option.variadic,
    ...(choices ? { choices: [...choices] } : {}),
  }
}

function describeArgument(argument: Argument): ArgumentSpec {
  return {
    name: argument.name(),
    variadic: argument.variadic,
    ...(argument.argChoices ? { choices: [...argument.argChoices] } : {}),
  }
}

export interface CompletionLookups {
  providers(context: { config?: string }): Promise<string[]>
  profiles(context: { provider?: string; store?: string }): Promise<string[]>
}

interface WalkState {
  command?: CommandSpec
  positionals: string[]
  values: Record<string, string>
  /** The option whose value is being typed. */
  pending?: OptionSpec
  afterDashDash: boolean
}

/**
 * Candidates for the last word of `words` (the words after `oauth-cli`; the
 * last one is being typed and may be empty), filtered by what is typed so far.
 */
export async function completeWords(tree: CompletionTree, words: string[], lookups: CompletionLookups): Promise<string[]> {
  const current = words.at(-1) ?? ''
  const state = walk(tree, words.slice(0, -1))
  if (state === undefined) return []
  const candidates = await candidatesFor(tree, state, current, lookups)
  if (candidates[0] === FILE_DIRECTIVE) return candidates
  return candidates.filter((c) => c.startsWith(current))
}

function walk(tree: CompletionTree, prior: string[]): WalkState | undefined {
  const state: WalkState = { positionals: [], values: {}, afterDashDash: false }
  for (const word of prior) {
    if (state.pending && !(state.pending.variadic && word.startsWith('-'))) {
      state.values[state.pending.name] = word
      if (!state.pending.variadic) state.pending = undefined
      continue
    }
    state.pending = undefined
    if (!state.afterDashDash && word === '--') state.afterDashDash = true
    else if (!state.afterDashDash && word.startsWith('-') && word !== '-') readOption(tree, state, word)
    else if (state.command) {
      const sub = state.positionals.length === 0 ? state.command.commands.find((c) => c.name === word) : undefined
      if (sub) state.command = sub
      else state.positionals.push(word)
    } else {
      state.command = tree.commands.find((c) => c.name === word)
      // An unknown command: nothing sensible to offer.
      if (state.command === undefined) return undefined
    }
  }
  return state
}

function readOption(tree: CompletionTree, state: WalkState, word: string): void {
  const eq = word.indexOf('=')
  const flag = eq === -1 ? word : word.slice(0, eq)
  const option = optionsIn(tree, state).find((o) => o.flags.includes(flag))
  if (option === undefined || !option.takesValue) return
  if (eq === -1) state.pending = option
  else state.values[option.name] = word.slice(eq + 1)
}

function optionsIn(tree: CompletionTree, state: WalkState): OptionSpec[] {
  return state.command ? [...state.command.options, ...tree.rootOptions.filter((o) => o.name !== 'version')] : tree.rootOptions
}

async function candidatesFor(tree: CompletionTree, state: WalkState, current: string, lookups: CompletionLookups): Promise<string[]> {
  if (state.pending) return valuesFor(state.pending, state, lookups)
  if (current.startsWith('-') && !state.afterDashDash) {
    return [...new Set([...optionsIn(tree, state).flatMap((o) => o.flags.filter((f) => f.startsWith('--'))), '--help'])]
  }
  if (state.command === undefined) return tree.commands.map((c) => c.name)
  if (state.command.commands.length > 0 && state.positionals.length === 0) return state.command.commands.map((c) => c.name)
  const args = state.command.args
  const last = args.at(-1)
  const arg = args[state.positionals.length] ?? (last?.variadic ? last : undefined)
  if (arg === undefined) return []
  if (arg.choices) return arg.choices
  if (arg.name === 'provider') return lookups.providers({ config: state.values.config })
  return []
}

async function valuesFor(option: OptionSpec, state: WalkState, lookups: CompletionLookups): Promise<string[]> {
  if (option.choices) return option.choices
  if (FILE_OPTIONS.has(option.name)) return [FILE_DIRECTIVE]
  if (option.name === 'profile') {
    const provider = state.command?.args[0]?.name === 'provider' ? state.positionals[0] : undefined
    return lookups.profiles({ provider, store: state.values.store })
  }
  return []
}

/** Lookups against the real config file and store; any failure just means no candidates. */
export function liveLookups(deps: Deps): CompletionLookups {
  return {
    providers: async ({ config }) => {
      try {
        return listProviders(await readConfig(deps, config)).map((p) => p.name)
      } catch {
        return Object.keys(BUILT_IN_PROVIDERS)
      }
    },
    profiles: async ({ provider, store }) => {
      try {
        const choice: StoreChoice = store === 'file' || store === 'keychain' ? store : 'auto'
        const stored = await (await deps.openStore(choice)).list()
        // A name stored before names were checked (import) may hold a space or a terminal escape: --profile would
        // refuse it, and the shell would print its raw bytes. Never offered.
        const names = stored.filter((c) => provider === undefined || c.provider === provider).map((c) => c.profile)
        return [...new Set(names.filter(isValidProfileName))]
      } catch {
        return []
      }
    },
  }
}

/** The tree of the real program, built with runners that never run. */
export async function buildCompletionTree(deps: Deps): Promise<CompletionTree> {
  const { buildProgram } = await import('../program')
  return describeProgram(await buildProgram(deps, inertRunners(), () => {}))
}

/** The hidden `__complete` command: one candidate per line on stdout. */
export async function executeComplete(words: string[], deps: Deps): Promise<ExitCode> {
  const tree = await buildCompletionTree(deps)
  const candidates = await completeWords(tree, words.length === 0 ? [''] : words, liveLookups(deps))
  deps.io.stdout.write(candidates.map((c) => `${c}\n`).join(''))
  return 0
}

/** Runners that never run: the tree is only read. A proxy, so a new command needs no change here. */
function inertRunners(): Runners {
  const never = async (): Promise<ExitCode> => 0
  return new Proxy({} as Runners, { get: () => never })
}

export function executeCompletion(opts: CompletionOptions, deps: Deps): Promise<ExitCode> {
  deps.io.stdout.write(completionScript(opts.shell))
  return Promise.resolve(0)
}

export function completionScript(shell: CompletionShell): string {
  switch (shell) {
    case 'bash':
      return BASH
    case 'zsh':
      return ZSH
    case 'fish':
      return FISH
    default: {
      const never: never = shell
      throw new Error(`unknown shell ${String(never)}`)
    }
  }
}

// The scripts pass the words typed so far (the current one last, even when
// empty) after `--`, and ask for file names when told `:file`. Errors are
// silenced: a Tab must never print into the command line.

const BASH = `# oauth-cli completion for bash. Load it with:
#   source <(oauth-cli completion bash)
# or save it as ~/.local/share/bash-completion/completions/oauth-cli
_oauth_cli_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local IFS=$'\\n'
  local -a candidates
  candidates=($(oauth-cli __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  if [[ "\${candidates[0]}" == "${FILE_DIRECTIVE}" ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$cur"))
  else
    COMPREPLY=("\${candidates[@]}")
  fi
}
complete -F _oauth_cli_complete oauth-cli
`

const ZSH = `#compdef oauth-cli
# oauth-cli completion for zsh. Load it with:
#   source <(oauth-cli completion zsh)
# or save it as _oauth-cli in a directory on $fpath
_oauth_cli() {
  local out
  out="$(oauth-cli __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)"
  local -a candidates
  candidates=(\${(f)out})
  if [[ "\${candidates[1]}" == "${FILE_DIRECTIVE}" ]]; then
    _files
  elif (( \${#candidates} )); then
    compadd -- "\${candidates[@]}"
  fi
}
if [[ "\${funcstack[1]}" == "_oauth_cli" || "\${funcstack[1]}" == "_oauth-cli" ]]; then
  _oauth_cli "$@"
else
  compdef _oauth_cli oauth-cli
fi
`

const FISH = `# oauth-cli completion for fish. Load it with:
#   oauth-cli completion fish | source
# or save it as ~/.config/fish/completions/oauth-cli.fish
function __oauth_cli_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l current (commandline -ct)
    set -l candidates (oauth-cli __complete -- $words "$current" 2>/dev/null)
    if test "$candidates[1]" = "${FILE_DIRECTIVE}"
        __fish_complete_path "$current"
    else
        printf '%s\\n' $candidates
    end
end
complete -c oauth-cli -f -a '(__oauth_cli_complete)'
`
