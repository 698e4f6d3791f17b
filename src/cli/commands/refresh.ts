/** `oauth-cli refresh <provider>`: refresh now; a rotated refresh token replaces the old one. */
import { getFreshCredential } from '../../session/fresh-token'
import { openCredentialContext } from '../../session/provider-context'
import type { Deps } from '../deps'
import { runHint, UsageError, type ExitCode } from '../errors'
import { paint, renderJson } from '../render'
import { summarize, withDefaultFlag, type CredentialSummary } from '../summary'
import type { Command } from 'commander'
import { defineProviderCommand, type CommandContext } from '../command-kit'
import type { ProviderCommandOptions } from '../options'

export function defineRefresh(
  ctx: CommandContext,
  run: (opts: ProviderCommandOptions, deps: Deps) => Promise<ExitCode> = executeRefresh,
): Command {
  return defineProviderCommand(ctx, {
    name: 'refresh',
    description: 'refresh the tokens now and store them (a rotated refresh token replaces the old one)',
    flags: {},
    examples: '\nExamples:\n  oauth-cli refresh livechat\n  oauth-cli refresh acme --json\n',
  }, run)
}

export async function runRefresh(opts: ProviderCommandOptions, deps: Deps): Promise<CredentialSummary> {
  const { provider, store, key } = await openCredentialContext(opts, deps)
  const credential = await getFreshCredential(provider, key, store, deps, { force: true })
  if (credential.kind === 'static') {
    throw new UsageError(`${provider.name} (profile ${opts.profile}) holds a static credential, which cannot be refreshed`, {
      hint: `it is sent as it is until revoked where it was made; to store another one instead:\n${runHint('login', provider.name, opts.profile, ' --with-token', opts)}`,
    })
  }
  return summarize(credential, store)
}

export async function executeRefresh(opts: ProviderCommandOptions, deps: Deps): Promise<ExitCode> {
  const summary = await runRefresh(opts, deps)
  if (opts.json) deps.io.stdout.write(renderJson(await withDefaultFlag(summary, deps)))
  const p = paint(deps.io.color)
  deps.io.stderr.write(`${p.green('✓')} Refreshed ${summary.provider} (profile ${summary.profile})\n`)
  return 0
}
