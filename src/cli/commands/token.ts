/** `oauth-cli token <provider>`: a valid access token on stdout and nothing else. */
import { expiresWithin, isRenewable } from '../../session/credentials'
import { readEnvCredential } from '../../session/env-credential'
import { getFreshCredential } from '../../session/fresh-token'
import { loadProvider } from '../../session/provider-context'
import type { StoredCredential } from '../../store/credential-store'
import type { Deps } from '../deps'
import { CliError, runHint, type ExitCode } from '../errors'
import type { Command } from 'commander'
import { addCommonOptions, addFlags, readFlags, type CommandContext } from '../command-kit'
import { TOKEN_FLAGS, type ProviderCommandOptions } from '../options'

export interface TokenOptions extends ProviderCommandOptions {
  /** `--min-ttl <seconds>`: the printed token lives at least this long (refreshed first if not). */
  minTtlSeconds?: number
}

export function defineToken(ctx: CommandContext, run: (opts: TokenOptions, deps: Deps) => Promise<ExitCode> = executeToken): Command {
  const cmd = addCommonOptions(ctx.program.command('token').argument('<provider>'))
    .description('print a valid access token and nothing else (refreshing first when needed)')
  return addFlags(cmd, TOKEN_FLAGS)
    .addHelpText('after', TOKEN_EXAMPLES)
    .action((provider: string, _o: unknown, cmd: Command) =>
      ctx.act(() => run({ ...ctx.common(cmd), provider, ...readFlags(cmd, TOKEN_FLAGS) }, ctx.deps), cmd, provider),
    )
}

const TOKEN_EXAMPLES = `
Examples:
  TOKEN=$(oauth-cli token livestorm)
  oauth-cli token livechat --profile work
  oauth-cli token acme --min-ttl 900              # at least 15 minutes left, for a long job
  OAUTH_CLI_ACME_TOKEN=… oauth-cli token acme     # from the environment: nothing stored or refreshed
`

/**
 * `OAUTH_CLI_<PROVIDER>_TOKEN`, when set, is printed as is: the store is not
 * opened, and its lifetime is unknown, so `--min-ttl` cannot check it.
 */
export async function runToken(opts: TokenOptions, deps: Deps): Promise<string> {
  const provider = await loadProvider(opts.provider, { config: opts.config }, deps)
  const fromEnv = readEnvCredential(provider, opts.profile, deps.env, deps.clock.now())
  if (fromEnv) return fromEnv.credential.access_token
  const store = await deps.openStore(opts.store)
  const minTtlMs = opts.minTtlSeconds === undefined ? undefined : opts.minTtlSeconds * 1000
  const credential = await getFreshCredential(provider, { provider: provider.name, profile: opts.profile }, store, deps, {
    minTtlMs,
  })
  if (opts.minTtlSeconds !== undefined) checkMinTtl(credential, opts.minTtlSeconds, deps.clock.now())
  return credential.access_token
}

/** After the refresh: a token that still lives less than asked means the provider's lifetime is shorter. */
function checkMinTtl(credential: StoredCredential, minTtlSeconds: number, now: number): void {
  if (!expiresWithin(credential, now, minTtlSeconds * 1000)) return
  const expiresAt = Date.parse(credential.expires_at ?? '')
  const left = Math.max(0, Math.floor((expiresAt - now) / 1000))
  const who = `${credential.provider} (profile ${credential.profile})`
  if (isRenewable(credential)) {
    // It was just renewed, so its lifetime is what the provider gives; one second less leaves time to use it.
    const stored = Math.round((expiresAt - Date.parse(credential.updated_at)) / 1000)
    const lifetime = Number.isFinite(stored) && stored > 0 ? stored : left
    throw new CliError(
      `${credential.provider} issues access tokens that live ${lifetime} s, less than the ${minTtlSeconds} s asked with --min-ttl`,
      { hint: `use --min-ttl ${Math.max(1, lifetime - 1)} or less` },
    )
  }
  throw new CliError(`the access token for ${who} has ${left} s left, less than --min-ttl ${minTtlSeconds}, and cannot be refreshed`, {
    hint: runHint('login', credential.provider, credential.profile),
  })
}

export async function executeToken(opts: TokenOptions, deps: Deps): Promise<ExitCode> {
  const token = await runToken(opts, deps)
  deps.io.stdout.write(`${token}\n`)
  return 0
}
