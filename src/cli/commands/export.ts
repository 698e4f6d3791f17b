/**
 * `oauth-cli export <provider>`: the stored credential as a one-line bundle on
 * stdout, for a CI secret store (`oauth-cli import` reads it back). stdout gets
 * the bundle even on a terminal, as `gh auth token` prints its token; stderr
 * says what it is, that it holds secrets, and how long it will keep working.
 */
import { describeBundleLifetime, encodeBundle, type BundleLifetime } from '../../session/bundle'
import { NotLoggedInError } from '../../session/errors'
import { loadCredential } from '../../session/fresh-token'
import { escapeControls } from '../../platform/terminal-text'
import { loadProvider } from '../../session/provider-context'
import type { StoredCredential } from '../../store/credential-store'
import type { Deps } from '../deps'
import type { ExitCode } from '../errors'
import type { Command } from 'commander'
import { defineProviderCommand, type CommandContext } from '../command-kit'
import type { ProviderCommandOptions } from '../options'

export type ExportOptions = ProviderCommandOptions

export function defineExport(ctx: CommandContext, run: (opts: ExportOptions, deps: Deps) => Promise<ExitCode> = executeExport): Command {
  const description = 'print the stored credential as a one-line bundle for a CI secret store (it holds secrets)'
  return defineProviderCommand(ctx, { name: 'export', description, flags: {}, examples: EXPORT_EXAMPLES, json: false }, run)
}

const EXPORT_EXAMPLES = `
Examples:
  oauth-cli export acme | gh secret set OAUTH_CLI_BUNDLE       # then, in CI:
  printf '%s' "$OAUTH_CLI_BUNDLE" | oauth-cli import --store file
  oauth-cli export livechat --profile work > bundle.txt
`

export interface ExportResult {
  bundle: string
  credential: StoredCredential
}

/** Reads the credential as stored (no refresh: a refresh would rotate what is being exported). */
export async function runExport(opts: ExportOptions, deps: Deps): Promise<ExportResult> {
  const store = await deps.openStore(opts.store)
  const credential = await loadCredential(store, { provider: opts.provider, profile: opts.profile }).catch(async (err: unknown) => {
    // Nothing stored under a name that is no provider: that is the error (exit 2, did-you-mean), as for
    // status, not "run: oauth-cli login <typo>". What is stored exports even if its provider has gone.
    if (err instanceof NotLoggedInError && err.reason === 'missing') await loadProvider(opts.provider, { config: opts.config }, deps)
    throw err
  })
  return { bundle: encodeBundle(credential, store.kind), credential }
}

/** The stderr notes: never the bundle or any part of it. */
export function describeExport(credential: StoredCredential, stdoutIsTTY: boolean): string {
  const who = `${credential.provider} (profile ${credential.profile})`
  const lines = [
    `Credential bundle for ${who} on stdout. It holds every secret of the credential (tokens and client secret): keep it only in a CI secret store.`,
    `In CI: printf '%s' "$OAUTH_CLI_BUNDLE" | oauth-cli import --store file`,
    describeLifetime(credential.provider, describeBundleLifetime(credential)),
  ]
  if (stdoutIsTTY) {
    lines.unshift(`warning: stdout is a terminal, so the bundle stays in its scrollback; pipe it instead, e.g. oauth-cli export ${credential.provider} | gh secret set OAUTH_CLI_BUNDLE`)
  }
  // Names as stored (one imported before names were checked may carry terminal escapes): shown escaped.
  return `${lines.map((line) => escapeControls(line)).join('\n')}\n`
}

function describeLifetime(provider: string, lifetime: BundleLifetime): string {
  switch (lifetime.kind) {
    case 'static':
      return 'A static credential: the bundle works until the credential is revoked.'
    case 'client_credentials':
      return 'Client credentials: each run fetches a new access token with the client secret, so the bundle does not go stale.'
    case 'rotates':
      return (
        `${provider} rotates refresh tokens: the bundle stops working after its first refresh (and the copy here too, since they share one refresh token); ` +
        'in CI use a static credential (login --with-token) or client credentials (login --client-credentials) instead, or export again after every run.'
      )
    case 'refreshable':
      return `No rotation seen yet; if ${provider} rotates refresh tokens, the bundle goes stale after its first refresh.`
    case 'until_expiry':
      return `No refresh token: the bundle stops working when the access token expires${lifetime.expires_at ? ` (${lifetime.expires_at})` : ''}.`
    default: {
      const never: never = lifetime
      return String(never)
    }
  }
}

export async function executeExport(opts: ExportOptions, deps: Deps): Promise<ExitCode> {
  const { bundle, credential } = await runExport(opts, deps)
  deps.io.stdout.write(`${bundle}\n`)
  deps.io.stderr.write(describeExport(credential, deps.io.stdout.isTTY))
  return 0
}
