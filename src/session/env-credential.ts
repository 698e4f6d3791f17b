/**
 * Credentials from the environment for `token` and `call`:
 * `OAUTH_CLI_<PROVIDER>_TOKEN` holds an access token or a static credential,
 * used in place of the store. Nothing is written, nothing is refreshed: the
 * value lives only in this process. Pure.
 */
import type { Env } from './deps'
import { configPathOf, envPrefix, sharedVariable } from '../providers/resolve'
import type { ResolvedProvider } from '../providers/types'
import type { StoredCredential } from '../store/credential-store'
import { toStaticCredential } from './credentials'
import { InputError } from './errors'
import { checkStaticCredential, unsendableReason } from './static-credential'

export type EnvTokenKind = 'bearer' | 'static'

/** `OAUTH_CLI_LIVECHAT_TOKEN`: the provider's env prefix, as in `<PROVIDER>_CLIENT_ID`. */
export function envTokenVariable(provider: Pick<ResolvedProvider, 'env_prefix'>): string {
  return `OAUTH_CLI_${provider.env_prefix}_TOKEN`
}

/** A credential read from the environment, and the variable it came from (for messages). */
export interface EnvCredential {
  credential: StoredCredential
  variable: string
}

/**
 * The credential in `OAUTH_CLI_<PROVIDER>_TOKEN`, or undefined when the variable
 * is unset or empty. It is sent the provider's static way when the provider logs
 * in with a static credential by default (Tidio) or when
 * `OAUTH_CLI_<PROVIDER>_TOKEN_KIND=static`; else as `Bearer`.
 */
export function readEnvCredential(
  provider: ResolvedProvider,
  profile: string,
  env: Env,
  now: number,
): EnvCredential | undefined {
  const variable = envTokenVariable(provider)
  const raw = env[variable]
  if (raw === undefined || raw === '') return undefined
  // my-app and my.app both read OAUTH_CLI_MY_APP_TOKEN: sending it to either could send one's token to the other's host.
  if (provider.env_prefix_shared_with !== undefined) {
    throw sharedVariable(variable, provider.name, provider.env_prefix_shared_with, configPathOf(provider))
  }
  const kind = envTokenKind(provider, env)
  const value = kind === 'static' ? checkEnvStatic(provider, raw, variable) : checkEnvBearer(raw, variable)
  return { credential: toStaticCredential({ provider: provider.name, profile }, value, now, kind), variable }
}

/** How the variable's value is sent; a bad `_TOKEN_KIND` is an error, not a guess. */
export function envTokenKind(provider: ResolvedProvider, env: Env): EnvTokenKind {
  const name = `${envTokenVariable(provider)}_KIND`
  const given = env[name]
  if (given === undefined || given === '') return provider.config.default_login === 'static' ? 'static' : 'bearer'
  const kind = given.toLowerCase()
  if (kind === 'static' || kind === 'bearer') return kind
  throw new InputError(`${name} must be "static" or "bearer"`, `unset ${name}, or set it to static or bearer`)
}

/** The hint for a 401 with an environment token: no refresh is possible, so name the variable. */
export function envTokenRefusedHint(variable: string): string {
  return `the token in ${variable} was refused and cannot be refreshed; set a valid one, or unset ${variable} to use stored credentials`
}

function checkEnvBearer(raw: string, variable: string): string {
  const value = raw.trim()
  if (value === '' || /\s/.test(value)) {
    throw new InputError(`${variable} contains white space; it must hold the token alone`, `set ${variable} to the bare token`)
  }
  // The same check as a pasted token's: a value no header can carry is refused before anything is sent.
  const unsendable = unsendableReason(value, BEARER)
  if (unsendable !== undefined) throw new InputError(`${variable} ${unsendable}`, `set ${variable} to the bare token`)
  return value
}

const BEARER = { format: 'TOKEN', scheme: 'bearer' } as const

function checkEnvStatic(provider: ResolvedProvider, raw: string, variable: string): string {
  try {
    return checkStaticCredential(provider, raw)
  } catch (err) {
    // checkStaticCredential's hint is about stdin; here the value came from a variable.
    if (!(err instanceof InputError)) throw err
    throw new InputError(`${variable}: ${err.message}`, `set ${variable} to the credential in the provider's format`)
  }
}

/** The variable name when `OAUTH_CLI_<PROVIDER>_TOKEN` is set for this provider name; for messages. */
export function envTokenInUse(providerName: string, env: Env): string | undefined {
  const variable = envTokenVariable({ env_prefix: envPrefix(providerName) })
  return env[variable] ? variable : undefined
}
