/**
 * `oauth-cli import`: reads a bundle made by `oauth-cli export` from stdin (or
 * a hidden prompt on a terminal) and stores it, optionally under another
 * profile. A bad bundle is a usage error whose message never echoes the input.
 */
import { escapeControls } from '../../platform/terminal-text'
import { decodeBundle } from '../../session/bundle'
import type { Deps } from '../deps'
import { UsageError, type ExitCode } from '../errors'
import { paint, renderJson } from '../render'
import { describeStore, summarize, type CredentialSummary } from '../summary'
import type { StoreKind } from '../../store/credential-store'
import type { Command } from 'commander'
import { addCommonOptions, type CommandContext } from '../command-kit'
import type { CommonOptions } from '../options'

export interface ImportOptions extends Omit<CommonOptions, 'profile'> {
  /** Store under this profile instead of the bundle's own (the provider is kept). */
  profile?: string
}

export function defineImport(ctx: CommandContext, run: (opts: ImportOptions, deps: Deps) => Promise<ExitCode> = executeImport): Command {
  return addCommonOptions(ctx.command('import', 'store a credential bundle read from stdin (made by oauth-cli export); --profile renames it'))
    .addHelpText('after', IMPORT_EXAMPLES)
    .action((_o: unknown, cmd: Command) => ctx.act(() => run({ ...ctx.common(cmd), profile: ctx.given(cmd).profile }, ctx.deps)))
}

const IMPORT_EXAMPLES = `
Examples:
  printf '%s' "$OAUTH_CLI_BUNDLE" | oauth-cli import --store file
  oauth-cli import --profile ci < bundle.txt
`

export interface ImportResult {
  summary: CredentialSummary
  /** A credential was already stored under that provider and profile, and is now replaced. */
  replaced: boolean
  /** The kind of store the bundle was exported from, when it says. */
  from?: StoreKind
}

export async function runImport(opts: ImportOptions, deps: Deps): Promise<ImportResult> {
  const text = deps.io.stdinIsTTY ? await deps.io.readLine('Bundle: ', { hidden: true }) : await deps.io.readStdin()
  const decoded = decodeBundle(text, { profile: opts.profile })
  if (!decoded.ok && decoded.name !== undefined) {
    // Nothing else would take the name (no command could use or log out the credential): it is not stored.
    throw new UsageError(`the bundle on stdin cannot be imported: ${decoded.reason}`, {
      hint:
        decoded.name === 'profile'
          ? 'store it under a profile of your choosing: oauth-cli import --profile <name>'
          : 'oauth-cli export names a provider as its config entry does: check where this bundle came from',
    })
  }
  if (!decoded.ok) {
    throw new UsageError(`stdin is not a credential bundle: ${decoded.reason}`, {
      hint: "pipe in the line printed by oauth-cli export, e.g. printf '%s' \"$OAUTH_CLI_BUNDLE\" | oauth-cli import",
    })
  }
  const credential = decoded.credential
  const store = await deps.openStore(opts.store)
  const before = await store.get(credential)
  await store.set(credential)
  const result = { summary: summarize(credential, store), replaced: before.status === 'found' }
  return decoded.from === undefined ? result : { ...result, from: decoded.from }
}

export async function executeImport(opts: ImportOptions, deps: Deps): Promise<ExitCode> {
  const { summary, replaced, from } = await runImport(opts, deps)
  if (opts.json) deps.io.stdout.write(renderJson(summary))
  const p = paint(deps.io.color)
  const where = describeStore(summary)
  const replacing = replaced ? ', replacing the one stored before' : ''
  // The names were checked by decodeBundle; shown through the one sanitiser all the same, as every name from outside.
  const [provider, profileName] = [escapeControls(summary.provider), escapeControls(summary.profile)]
  deps.io.stderr.write(`${p.green('✓')} Imported ${provider} (profile ${profileName}); stored in ${where}${replacing}\n`)
  if (summary.store === 'postgres') {
    // Two stores holding one rotating refresh token race outside the lease: the first refresh kills the other copy.
    // Named with its store: where the shared store is the default (OAUTH_CLI_STORE), a bare logout would delete the shared row.
    const profile = summary.profile === 'default' ? '' : ` --profile ${profileName}`
    deps.io.stderr.write(
      `Now remove the copy it came from, so that only the shared store refreshes it: where you exported it, run oauth-cli logout ${provider}${profile} --local${sourceStore(from)}\n`,
    )
  }
  return 0
}

/** `--store` for the store a bundle came from (a shared store's URL is not in it: it may hold a password). */
function sourceStore(from: StoreKind | undefined): string {
  if (from === 'keychain' || from === 'file') return ` --store ${from}`
  return from === 'postgres' ? ' --store <the postgres:// URL it was exported from>' : ' --store <the store it was exported from>'
}
