/**
 * Turns a provider name into a `ResolvedProvider`: the built-in entry, overridden
 * field by field by the config file, with the client credentials, redirect URI
 * and scope taken from the documented sources in order of precedence.
 *
 * @see shared/SPEC.md "Providers"
 */
import type { ClientSecret } from '../oauth/types'
import { BUILT_IN_PROVIDERS } from './catalog'
import type { ConfigFile } from './config-file'
import { ConfigError } from './errors'
import { validateRedirectUri } from './schema'
import type { ProviderConfig, ResolvedProvider, ValueSource } from './types'

export interface ResolveInput {
  config: ConfigFile
  env: Readonly<Record<string, string | undefined>>
  /** Parsed `.env` from the working directory (the caller reads the file). */
  dotenv: Record<string, string>
  flags: { client_id?: string; client_secret?: string; redirect_uri?: string; scope?: string }
}

export interface ProviderListing {
  name: string
  source: ResolvedProvider['source']
  /** The merged entry (built-in + config file), without `client_secret`. */
  config: ProviderConfig
}

/**
 * The environment variable prefix for a provider: upper-cased, every other
 * character as `_` ('my-idp.dev' → 'MY_IDP_DEV').
 */
export function envPrefix(name: string): string {
  const upper = name.toUpperCase()
  let prefix = ''
  // By UTF-16 unit, as /[^A-Z0-9]/g would replace, without a pattern to compile on every `token`.
  for (let i = 0; i < upper.length; i++) {
    const code = upper.charCodeAt(i)
    prefix += (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) ? upper[i] : '_'
  }
  return prefix
}

/** `requireClientId` names the config file; ResolvedProvider has no field for it. */
const configPaths = new WeakMap<ResolvedProvider, string>()

/**
 * Resolves a provider. Client id and secret: `--client-id` / `--client-secret-stdin`
 * > `<PREFIX>_CLIENT_ID` / `<PREFIX>_CLIENT_SECRET` in the environment > the same
 * names in `.env` > the config file; empty values count as unset. `redirect_uri`
 * and `scope`: flag > config file > built-in. A missing client id is not an error
 * here (a static login needs none); see `requireClientId`.
 *
 * The returned `config` is the effective entry: flag values applied, `client_id`
 * resolved, and `client_secret` removed (it travels only as the branded field).
 *
 * @throws ConfigError `unknown_provider` (with `known`), or `invalid_value` /
 *   `insecure_endpoint` for a bad `--redirect-uri`
 */
export function resolveProvider(name: string, input: ResolveInput): ResolvedProvider {
  const builtIn = ownEntry(BUILT_IN_PROVIDERS, name)
  const configured = ownEntry(input.config.providers, name)
  if (builtIn === undefined && configured === undefined) throw unknownProvider(name, input.config)
  const prefix = envPrefix(name)
  const sharers = sharingPrefix(name, prefix, input.config)
  const pick = (flag: string | undefined, variable: string, field: 'client_id' | 'client_secret') => {
    const picked = pickFirst([
      ['flag', flag],
      ['env', input.env[variable]],
      ['dotenv', ownEntry(input.dotenv, variable)],
      ['config', configured?.[field]],
      ['built-in', builtIn?.[field]],
    ])
    // Meant for which of them? A guess would send one provider's secret to the other's token endpoint.
    if (sharers.length > 0 && (picked.source === 'env' || picked.source === 'dotenv')) {
      throw sharedVariable(`${variable}${picked.source === 'dotenv' ? ' (from ./.env)' : ''}`, name, sharers, input.config.path, field)
    }
    return picked
  }
  const clientId = pick(input.flags.client_id, `${prefix}_CLIENT_ID`, 'client_id')
  const clientSecret = pick(input.flags.client_secret, `${prefix}_CLIENT_SECRET`, 'client_secret')
  const config = applyFlags(mergeProviderConfig(builtIn, configured), input.flags)
  if (clientId.value === undefined) delete config.client_id
  else config.client_id = clientId.value
  const resolved: ResolvedProvider = {
    name,
    source: sourceOf(builtIn, configured),
    config,
    client_id: clientId.value,
    client_secret: clientSecret.value as ClientSecret | undefined,
    client_id_source: clientId.source,
    client_secret_source: clientSecret.source,
    env_prefix: prefix,
    ...(sharers.length > 0 ? { env_prefix_shared_with: sharers } : {}),
  }
  configPaths.set(resolved, input.config.path)
  return resolved
}

/** The config file a provider was resolved with, for messages. */
export function configPathOf(p: ResolvedProvider): string {
  return configPaths.get(p) ?? 'the config file'
}

/**
 * The client id, or a `missing_client_id` error naming every way to set it.
 * `configPath` defaults to the config file the provider was resolved with.
 */
export function requireClientId(p: ResolvedProvider, configPath?: string): string {
  if (p.client_id !== undefined) return p.client_id
  const path = configPath ?? configPaths.get(p) ?? 'the config file'
  throw new ConfigError(
    'missing_client_id',
    `no client id for ${p.name}: set ${p.env_prefix}_CLIENT_ID, pass --client-id, or add client_id to providers.${p.name} in ${path}`,
    { hint: `run: oauth-cli login ${p.name} --client-id <client id>` },
  )
}

/**
 * The configured redirect URI, or a `missing_redirect_uri` error when the
 * provider has no usable default (`redirect_uri_required`, Livestorm): the
 * message gives the reason and both ways to set it, the hint the static login.
 * Undefined when none is set and a loopback listener on any port will do.
 */
export function requireRedirectUri(p: ResolvedProvider, configPath?: string): string | undefined {
  const required = p.config.redirect_uri_required
  if (p.config.redirect_uri !== undefined || required === undefined) return p.config.redirect_uri
  const path = configPath ?? configPaths.get(p) ?? 'the config file'
  const format = p.config.static_credential?.format
  throw new ConfigError(
    'missing_redirect_uri',
    `no redirect URI for ${p.name}: ${required}. Pass the app's registered HTTPS redirect URL with --redirect-uri <url>, ` +
      `or set redirect_uri in providers.${p.name} in ${path}`,
    {
      hint: format
        ? `without such an app, store a static credential (${format}) instead: oauth-cli login ${p.name} --with-token`
        : `run: oauth-cli login ${p.name} --redirect-uri <url>`,
    },
  )
}

/** Built-in providers first, then those only in the config file; each group sorted by name. */
export function listProviders(config: ConfigFile): ProviderListing[] {
  return knownNames(config).map((name) => {
    const builtIn = ownEntry(BUILT_IN_PROVIDERS, name)
    const configured = ownEntry(config.providers, name)
    return { name, source: sourceOf(builtIn, configured), config: mergeProviderConfig(builtIn, configured) }
  })
}

/**
 * Field-by-field override of `base` by `override`; `authorization_params` and
 * `api_headers` merge key by key (header names case-insensitively). The result
 * never carries `client_secret`.
 */
export function mergeProviderConfig(base: ProviderConfig | undefined, override: ProviderConfig | undefined): ProviderConfig {
  const merged: ProviderConfig = { ...base, ...override }
  const params = mergeRecords(base?.authorization_params, override?.authorization_params, (a, b) => a === b)
  if (params !== undefined) merged.authorization_params = params
  const headers = mergeRecords(base?.api_headers, override?.api_headers, (a, b) => a.toLowerCase() === b.toLowerCase())
  if (headers !== undefined) merged.api_headers = headers
  delete merged.client_secret
  return merged
}

function mergeRecords(
  base: Record<string, string> | undefined,
  override: Record<string, string> | undefined,
  sameKey: (a: string, b: string) => boolean,
): Record<string, string> | undefined {
  if (base === undefined || override === undefined) return base ?? override
  const overridden = Object.keys(override)
  const kept = Object.entries(base).filter(([key]) => !overridden.some((o) => sameKey(key, o)))
  return Object.fromEntries([...kept, ...Object.entries(override)])
}

function applyFlags(config: ProviderConfig, flags: ResolveInput['flags']): ProviderConfig {
  if (flags.redirect_uri !== undefined && flags.redirect_uri !== '') {
    config.redirect_uri = validateRedirectUri(flags.redirect_uri, '--redirect-uri')
  }
  // An empty --scope is deliberate: it asks for no scope at all.
  if (flags.scope !== undefined) config.scope = flags.scope
  return config
}

/** The other known providers whose variables are this one's: names that differ only in their non-alphanumerics or case. */
function sharingPrefix(name: string, prefix: string, config: ConfigFile): string[] {
  const others: string[] = []
  for (const other of Object.keys(config.providers)) if (other !== name && envPrefix(other) === prefix) others.push(other)
  for (const other of Object.keys(BUILT_IN_PROVIDERS)) if (other !== name && !others.includes(other) && envPrefix(other) === prefix) others.push(other)
  return others.sort()
}

/**
 * A variable two providers share, refused rather than given to one of them. Exported for the token variable
 * (session/env-credential.ts), which says the same.
 */
export function sharedVariable(variable: string, name: string, others: readonly string[], configPath: string, field?: 'client_id' | 'client_secret'): ConfigError {
  const both = [name, ...others].map((n) => `"${n}"`).join(' and ')
  const instead = field === undefined ? '' : field === 'client_id' ? 'pass --client-id, or ' : 'pass --client-secret-stdin, or '
  return new ConfigError('invalid_value', `${variable} names providers ${both} alike (their variables differ only in ".", "-", "_" or case), so it is used for neither`, {
    hint: `unset it and ${instead}rename one of the providers in ${configPath} so the names differ in letters or digits`,
  })
}

function pickFirst(candidates: ReadonlyArray<[ValueSource, string | undefined]>): {
  value: string | undefined
  source: ValueSource
} {
  for (const [source, value] of candidates) {
    // `FOO_CLIENT_ID=` in a shell or .env means "unset", not "an empty id".
    if (value !== undefined && value !== '') return { value, source }
  }
  return { value: undefined, source: 'none' }
}

function sourceOf(builtIn: ProviderConfig | undefined, configured: ProviderConfig | undefined): ResolvedProvider['source'] {
  if (builtIn !== undefined && configured !== undefined) return 'built-in+config'
  return builtIn !== undefined ? 'built-in' : 'config'
}

/** Own properties only: a provider called `constructor` must not find Object.prototype's. */
function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined
}

function knownNames(config: ConfigFile): string[] {
  const builtIns = Object.keys(BUILT_IN_PROVIDERS).sort()
  const configuredOnly = Object.keys(config.providers)
    .filter((name) => !Object.hasOwn(BUILT_IN_PROVIDERS, name))
    .sort()
  return [...builtIns, ...configuredOnly]
}

function unknownProvider(name: string, config: ConfigFile): ConfigError {
  const known = knownNames(config)
  return new ConfigError('unknown_provider', `unknown provider "${name}"; known providers: ${known.join(', ')}`, {
    known,
    hint: `add providers.${name} to ${config.path}, or run: oauth-cli providers`,
  })
}
