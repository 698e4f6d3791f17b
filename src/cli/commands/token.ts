/** `oauth-cli token <provider>`: a valid access token on stdout and nothing else. */
import { expiresWithin, isRenewable } from '../../session/credentials'
import { readEnvCredential } from '../../session/env-credential'
import { getFreshCredential } from '../../session/fresh-token'
import { loadProvider } from '../../session/provider-context'
import type { StoredCredential } from '../../store/credential-store'
import type { Deps } from '../deps'
import { CliError, runHint, type ExitCode } from '../errors'
import type { TokenOptions } from '../options'

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
