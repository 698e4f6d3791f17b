/** `oauth-cli providers`: built-in and configured providers with their endpoints. */
import { listProviders } from '../../providers/resolve'
import { readConfig } from '../../session/provider-context'
import type { Deps } from '../deps'
import type { ExitCode } from '../errors'
import type { ProvidersOptions } from '../options'
import { paint, providersJson, renderJson, renderProviders } from '../render'

export async function executeProviders(opts: ProvidersOptions, deps: Deps): Promise<ExitCode> {
  const rows = listProviders(await readConfig(deps, opts.config))
  deps.io.stdout.write(opts.json ? renderJson(providersJson(rows)) : renderProviders(rows, paint(deps.io.color)))
  return 0
}
