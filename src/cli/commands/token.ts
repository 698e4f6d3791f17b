/** `oauth-cli token <provider>`: a valid access token on stdout and nothing else. */
import type { Command } from 'commander'
import { TokenLifetimeError } from '../../session/errors'
import { readToken, type TokenResolution } from '../../session/read-token'
import { defineProviderCommand, type CommandContext } from '../command-kit'
import type { Deps } from '../deps'
import { CliError, runHint, type ExitCode } from '../errors'
import { TOKEN_FLAGS, type ProviderCommandOptions } from '../options'
import { renderTokenJson } from '../summary'
import type { StoredCredential } from '../../store/credential-store'

export interface TokenOptions extends ProviderCommandOptions {
  /** `--min-ttl <seconds>`: the printed token lives at least this long (refreshed first if not). */
  minTtlSeconds?: number
  /** The fast build's hand-over (cli/fast-refresh.ts): the profile and provider its read already resolved. */
  resolved?: TokenResolution
}

export function defineToken(ctx: CommandContext, run: (opts: TokenOptions, deps: Deps) => Promise<ExitCode> = executeToken): Command {
  const description = 'print a valid access token and nothing else (refreshing first when needed)'
  return defineProviderCommand(ctx, { name: 'token', description, flags: TOKEN_FLAGS, examples: TOKEN_EXAMPLES }, run)
}

const TOKEN_EXAMPLES = `
Examples:
  TOKEN=$(oauth-cli token livestorm)
  oauth-cli token livechat --profile work
  oauth-cli token acme --min-ttl 900           # at least 15 minutes left
  OAUTH_CLI_ACME_TOKEN=… oauth-cli token acme  # from the environment, as it is
`

/** The token use case (session/read-token), refreshing when due; a lifetime --min-ttl cannot get is exit 1. */
export async function runToken(opts: TokenOptions, deps: Deps): Promise<string> {
  return (await freshToken(opts, deps)).access_token
}

async function freshToken(opts: TokenOptions, deps: Deps): Promise<StoredCredential> {
  try {
    return await readToken(opts, deps, { refresh: true })
  } catch (err) {
    if (!(err instanceof TokenLifetimeError)) throw err
    const { key, renewable, seconds } = err
    throw new CliError(err.message, {
      hint: renewable ? `use --min-ttl ${Math.max(1, seconds - 1)} or less` : runHint('login', key.provider, key.profile, '', opts),
    })
  }
}

export async function executeToken(opts: TokenOptions, deps: Deps): Promise<ExitCode> {
  const credential = await freshToken(opts, deps)
  deps.io.stdout.write(opts.json ? renderTokenJson(credential) : `${credential.access_token}\n`)
  return 0
}
