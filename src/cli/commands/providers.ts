/** `oauth-cli providers`: built-in and configured providers with their endpoints. */
import { listProviders } from '../../providers/resolve'
import { readConfig } from '../../session/provider-context'
import type { Deps } from '../deps'
import type { ExitCode } from '../errors'
import { paint, providersJson, renderJson, renderProviders } from '../render'
import type { Command } from 'commander'
import { addCommonOptions, type CommandContext } from '../command-kit'
import type { CommonOptions } from '../options'

export type ProvidersOptions = CommonOptions

export function defineProviders(
  ctx: CommandContext,
  run: (opts: ProvidersOptions, deps: Deps) => Promise<ExitCode> = executeProviders,
): Command {
  return addCommonOptions(ctx.command('providers', 'list built-in and configured providers with their endpoints'))
    .addHelpText('after', '\nExamples:\n  oauth-cli providers\n  oauth-cli providers --json\n')
    .action((_o: unknown, cmd: Command) => ctx.act(() => run(ctx.common(cmd), ctx.deps)))
}

export async function executeProviders(opts: ProvidersOptions, deps: Deps): Promise<ExitCode> {
  const rows = listProviders(await readConfig(deps, opts.config))
  deps.io.stdout.write(opts.json ? renderJson(providersJson(rows)) : renderProviders(rows, paint(deps.io.color)))
  return 0
}
