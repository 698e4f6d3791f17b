/** `oauth-cli status [provider]`: what is stored, never a secret. */
import { byCodeUnits } from '../../platform/sort'
import { InterruptedRefreshError, NotLoggedInError } from '../../session/errors'
import { chooseProfile, isValidProfileName, readProfilesFile, type ProfilesFile } from '../../session/profiles'
import { escapeControls } from '../../platform/terminal-text'
import { readConfig } from '../../session/provider-context'
import { redactText } from '../../http/redact'
import { interruptedRefreshOf, type StoreError, type StoredCredential } from '../../store/credential-store'
import { rememberContext } from '../error-context'
import { corruptHint } from '../report'
import type { Deps } from '../deps'
import { runHint, type ExitCode } from '../errors'
import { paint, renderJson, renderStatus } from '../render'
import { isDefaultProfile, summarize, type CredentialSummary } from '../summary'
import type { Command } from 'commander'
import { addCommonOptions, type CommandContext } from '../command-kit'
import type { CommonOptions } from '../options'

export interface StatusOptions extends Omit<CommonOptions, 'profile'> {
  provider?: string
  /** Only this profile (`--profile` or OAUTH_CLI_PROFILE); every profile when absent. */
  profile?: string
}

export function defineStatus(ctx: CommandContext, run: (opts: StatusOptions, deps: Deps) => Promise<ExitCode> = executeStatus): Command {
  return addCommonOptions(ctx.command('status', 'list stored credentials (never a secret)').argument('[provider]'))
    .addHelpText('after', '\nExamples:\n  oauth-cli status\n  oauth-cli status livechat --json\n')
    .action((provider: string | undefined, _o: unknown, cmd: Command) =>
      ctx.act(async () => {
        const { envProfile } = await import('../../session/profiles')
        const profile = ctx.given(cmd).profile ?? envProfile(ctx.deps.env)
        return run({ ...ctx.common(cmd), provider, profile }, ctx.deps)
      }),
    )
}


/** One bad item never blanks the listing: it is named on stderr with how to remove it. */
function flagUnreadable(err: StoreError, deps: Deps, opts: StatusOptions): void {
  // A refused file's message carries its own fix (insecure: "…; to fix it: rm …"); a passphrase's is its hint.
  const hint = err.kind === 'insecure' ? '' : err.kind !== 'bad_passphrase' ? ` (${corruptHint(err, opts)})` : err.hint ? ` (${err.hint})` : ''
  deps.io.stderr.write(`oauth-cli: warning: ${redactText(err.message)}${hint}\n`)
}

/** Whether an unreadable item is one `status <provider> [--profile p]` asks about. */
function isFor(err: StoreError, opts: StatusOptions): boolean {
  return opts.provider !== undefined && err.key !== undefined && mayBeListed(err, opts)
}

/** Whether an unreadable item could be one the listing shows (its provider and profile filters); an item of unknown name could. */
function mayBeListed(err: StoreError, opts: StatusOptions): boolean {
  if (err.key === undefined) return true
  return (opts.provider === undefined || err.key.provider === opts.provider) && (opts.profile === undefined || err.key.profile === opts.profile)
}

/**
 * `status <provider>` with nothing stored, as gh's "not logged in": an unknown
 * name is a usage error with did-you-mean (exit 2), a known one is exit 3 with
 * the login to run (`--json` still prints its `[]`).
 */
async function nothingStoredFor(provider: string, opts: StatusOptions, deps: Deps, profiles: ProfilesFile): Promise<never> {
  const { loadProvider } = await import('../../session/provider-context')
  await loadProvider(provider, { config: opts.config }, deps)
  if (opts.json) deps.io.stdout.write(renderJson([]))
  const profile = opts.profile ?? chooseProfile({ provider, env: deps.env, file: profiles }).profile
  throw new NotLoggedInError({ provider, profile }, 'missing')
}

/**
 * A credential stored under a profile name the CLI refuses (by an `import`
 * before names were checked) can be used by no command; `logout` takes its
 * name as stored, which is said here, quoted for the shell.
 */
function warnRefusedName(row: CredentialSummary, deps: Deps): void {
  const name = escapeControls(row.profile)
  deps.io.stderr.write(
    `oauth-cli: warning: ${escapeControls(row.provider)} (profile ${name}) is stored under a name other commands refuse, so none can use it; ` +
      `remove it with: oauth-cli logout ${escapeControls(row.provider)} --local --profile ${shellQuoted(row.profile)}\n`,
  )
}

/** The name as a POSIX shell reads it back: '…', or bash's $'…' with its control characters escaped. */
function shellQuoted(name: string): string {
  const plain = escapeControls(name) === name
  return plain ? `'${name.replaceAll("'", "'\\''")}'` : `$'${escapeControls(name.replace(/[\\']/g, (c) => `\\${c}`))}'`
}

/**
 * A credential whose last refresh was lost with its holder at a rotating
 * provider is listed not refreshable; the next `token` exits 3 for it, so the
 * warning says why and names the login, as that `token` would.
 */
function warnInterruptedRefresh(credential: StoredCredential, deps: Deps, opts: StatusOptions): void {
  const mark = interruptedRefreshOf(credential)
  if (!mark) return
  const why = new InterruptedRefreshError(credential, mark.holder, mark.at).message
  const hint = runHint('login', credential.provider, credential.profile, '', { store: opts.store, config: opts.config })
  deps.io.stderr.write(`oauth-cli: warning: ${escapeControls(why)}; ${hint}\n`)
}

/** A status row; `default` marks the profile its provider's commands use without `--profile`. */
export type StatusRow = CredentialSummary & { default: boolean }

/**
 * Grouped by provider (sorted by provider, then profile); every profile unless one is asked for.
 * `profiles`: profiles.json as the caller read it (read here otherwise), so that a run reads it once.
 */
export async function runStatus(
  opts: StatusOptions,
  deps: Deps,
  profiles?: ProfilesFile,
  onUnreadable: (err: StoreError) => void = (err) => flagUnreadable(err, deps, opts),
): Promise<StatusRow[]> {
  const defaults = profiles ?? (await readProfilesFile(deps))
  const rows: StatusRow[] = []
  // The default store lists the keychain and the file store both; storeKindOf says where each lives.
  const store = await deps.openStore(opts.store)
  for (const credential of await store.list({ onUnreadable })) {
    if (opts.provider && credential.provider !== opts.provider) continue
    if (opts.profile !== undefined && credential.profile !== opts.profile) continue
    warnInterruptedRefresh(credential, deps, opts)
    rows.push({ ...summarize(credential, store), default: isDefaultProfile(credential, deps.env, defaults) })
  }
  return rows.sort((a, b) => byCodeUnits(a.provider, b.provider) || byCodeUnits(a.profile, b.profile))
}

export async function executeStatus(opts: StatusOptions, deps: Deps): Promise<ExitCode> {
  // A listing needs no provider entry, but a broken config file is a configuration error for every command (exit 2,
  // naming the file and the problem), so it is not left for the next command to find.
  await readConfig(deps, opts.config)
  const profiles = await readProfilesFile(deps)
  const unreadable: StoreError[] = []
  const rows = await runStatus(opts, deps, profiles, (err) => unreadable.push(err))
  // What was asked about is there but cannot be read: its own error, as `token` gives it (not "not logged in", exit 3).
  const asked = rows.length === 0 && opts.provider !== undefined ? unreadable.find((err) => isFor(err, opts)) : undefined
  for (const err of unreadable) if (err !== asked) flagUnreadable(err, deps, opts)
  if (asked) throw rememberContext(asked, { provider: opts.provider as string, profile: asked.key?.profile ?? 'default', store: opts.store, config: opts.config })
  if (opts.provider !== undefined && rows.length === 0) return nothingStoredFor(opts.provider, opts, deps, profiles)
  // Nothing to list: a note or a hint, not a result, so stderr (SPEC: stdout carries only the result), as gh auth
  // status says it; stdout stays empty (--json: []).
  // Only an item the filters could have shown makes the listing "unreadable"; another profile's is only warned about.
  const hidden = unreadable.filter((err) => mayBeListed(err, opts)).length
  if (rows.length === 0 && hidden > 0 && !opts.json) {
    deps.io.stderr.write(`No readable credentials: ${hidden === 1 ? 'one stored item' : `${hidden} stored items`} could not be read (see above)\n`)
    return 0
  }
  // Filtered to one profile (--profile or OAUTH_CLI_PROFILE): it is that profile that is empty, not the store.
  if (rows.length === 0 && !opts.json) {
    deps.io.stderr.write(
      opts.profile !== undefined
        ? `No stored credentials for profile ${opts.profile}. Run: oauth-cli login <provider> --profile ${opts.profile}\n`
        : 'No stored credentials. Run: oauth-cli login <provider>\n',
    )
    return 0
  }
  for (const row of rows) if (!isValidProfileName(row.profile)) warnRefusedName(row, deps)
  // Human output marks the default profile with `*`, as `git branch` marks the current branch.
  const human = rows.map(({ default: isDefault, ...row }) => ({ ...row, profile: isDefault ? `${row.profile} *` : row.profile }))
  deps.io.stdout.write(opts.json ? renderJson(rows) : renderStatus(human, deps.clock.now(), paint(deps.io.color)))
  return 0
}
