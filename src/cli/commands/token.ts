/** `oauth-cli token <provider>`: a valid access token on stdout and nothing else. */
import { getFreshCredential } from '../../session/fresh-token'
import { loadProvider } from '../../session/provider-context'
import type { Deps } from '../deps'
import type { ExitCode } from '../errors'
import type { ProviderCommandOptions } from '../options'

export async function runToken(opts: ProviderCommandOptions, deps: Deps): Promise<string> {
  const provider = await loadProvider(opts.provider, { config: opts.config }, deps)
  const store = await deps.openStore(opts.store)
  const credential = await getFreshCredential(provider, { provider: provider.name, profile: opts.profile }, store, deps)
  return credential.access_token
}

export async function executeToken(opts: ProviderCommandOptions, deps: Deps): Promise<ExitCode> {
  const token = await runToken(opts, deps)
  deps.io.stdout.write(`${token}\n`)
  return 0
}
