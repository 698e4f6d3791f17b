/**
 * Turns a provider name plus flags into everything a command needs: the
 * resolved provider (catalog + config file + env + .env + flags), its server
 * metadata (discovered from `issuer` when endpoints are missing) and the client.
 */
import { escapeControls } from '../platform/terminal-text'
import { join } from 'node:path'
import type { SessionDeps } from './deps'
import { providerHttp } from './provider-http'
import { ProtocolError } from '../oauth/errors'
import type { HttpClient } from '../http/types'
import type { TokenEndpointContext } from '../oauth/token-endpoint'
import type { ClientSecret, OAuthClient, ServerMetadata } from '../oauth/types'
import { loadConfigFile, type ConfigFile } from '../providers/config-file'
import { parseDotenv } from '../providers/dotenv'
import { resolveProvider, requireClientId } from '../providers/resolve'
import type { ResolvedProvider } from '../providers/types'
import { resolvePaths } from '../platform/paths'
import type { CredentialKey, CredentialStore, StoreChoice, StoredCredential } from '../store/credential-store'

export interface ProviderFlags {
  config?: string
  client_id?: string
  client_secret?: string
  redirect_uri?: string
  scope?: string
}

/** Reads the config file named by --config / $OAUTH_CLI_CONFIG / XDG default. */
export async function readConfig(deps: SessionDeps, configFlag?: string): Promise<ConfigFile> {
  const path = resolvePaths(deps.env, deps.homedir, configFlag).configFile
  const source = configFlag ? '--config' : deps.env.OAUTH_CLI_CONFIG ? 'OAUTH_CLI_CONFIG' : 'default'
  return loadConfigFile(path, (file) => deps.readTextFile(file, { settings: true }), source)
}

/** @see shared/SPEC.md "Providers": flags beat the environment, which beats .env and the config file. */
export async function loadProvider(name: string, flags: ProviderFlags, deps: SessionDeps): Promise<ResolvedProvider> {
  const [config, dotenvText] = await Promise.all([
    readConfig(deps, flags.config),
    deps.readUnaskedFile(join(deps.cwd, '.env')),
  ])
  return resolveProvider(name, {
    config,
    env: deps.env,
    dotenv: dotenvText === undefined ? {} : parseDotenv(dotenvText),
    flags: {
      client_id: flags.client_id,
      client_secret: flags.client_secret,
      redirect_uri: flags.redirect_uri,
      scope: flags.scope,
    },
  })
}

type Endpoint = 'authorization_endpoint' | 'token_endpoint' | 'revocation_endpoint' | 'device_authorization_endpoint'

/**
 * The provider's metadata. Discovery (RFC 8414, then OIDC) runs only when an
 * `issuer` is set and one of the `needed` endpoints is not configured.
 */
export async function resolveMetadata(
  provider: ResolvedProvider,
  deps: SessionDeps,
  needed: readonly Endpoint[],
): Promise<ServerMetadata> {
  const c = provider.config
  const configured: ServerMetadata = {
    issuer: c.issuer ?? originOf(c.token_endpoint ?? c.authorization_endpoint) ?? provider.name,
    authorization_endpoint: c.authorization_endpoint,
    token_endpoint: c.token_endpoint,
    revocation_endpoint: c.revocation_endpoint,
    device_authorization_endpoint: c.device_authorization_endpoint,
  }
  const missing = needed.filter((key) => !configured[key])
  if (missing.length === 0 || !c.issuer) {
    const absent = missing.find((key) => key !== 'revocation_endpoint' && key !== 'device_authorization_endpoint')
    if (absent) {
      throw new ProtocolError('missing_endpoint', `${provider.name} has no ${absent}: set it (or issuer) in the config file`)
    }
    return configured
  }
  const { discoverMetadata } = await import('../oauth/discovery')
  const discovered = await discoverMetadata(c.issuer, await providerHttp(provider, deps), deps.interrupt?.signal)
  return { ...discovered, ...definedOnly(configured), issuer: discovered.issuer }
}

/**
 * The token endpoint every grant for a stored credential goes to (refresh,
 * client credentials): the provider's own, configured or discovered from its
 * issuer, and never one the credential carries. A credential is data from
 * elsewhere (an imported bundle), and the request carries the client secret
 * from this machine's environment. When the stored one differs, one warning
 * line on stderr says so, here for every grant (control characters escaped,
 * as the stored value is anyone's).
 */
export async function resolveTokenEndpoint(
  provider: ResolvedProvider,
  deps: SessionDeps,
  stored: StoredCredential | undefined,
): Promise<ServerMetadata> {
  const metadata = await resolveMetadata(provider, deps, ['token_endpoint'])
  const named = stored?.token_endpoint
  const to = metadata.token_endpoint as string
  if (stored !== undefined && named !== undefined && !sameUrl(named, to)) {
    deps.io.stderr.write(
      `oauth-cli: warning: the stored credential for ${provider.name} (profile ${stored.profile}) names the token endpoint ` +
        `${escapeControls(named)}, which is not ${provider.name}'s; its client secret and tokens go only to ${to}\n`,
    )
  }
  return metadata
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href
  } catch {
    return false
  }
}

export function toOAuthClient(provider: ResolvedProvider, stored?: StoredCredential): OAuthClient {
  const client_id = stored?.client_id ?? requireClientId(provider)
  // A secret given now (flag, env, .env, config) for the same client beats the one stored at login:
  // that is how a rotated client secret takes effect. Another client's secret is never used.
  const sameClient = provider.client_id === undefined || provider.client_id === client_id
  const secret = sameClient
    ? provider.client_secret ?? (stored?.client_secret as ClientSecret | undefined)
    : (stored?.client_secret as ClientSecret | undefined)
  const method = provider.config.token_endpoint_auth_method ?? (secret ? 'client_secret_basic' : 'none')
  return {
    client_id,
    client_secret: method === 'none' ? undefined : secret,
    token_endpoint_auth_method: method === 'none' || secret ? method : 'none',
  }
}

/** What the token endpoint needs for this provider, client and metadata; `http` wraps the client (e.g. retries). */
export async function tokenContext(
  provider: ResolvedProvider,
  metadata: ServerMetadata,
  client: OAuthClient,
  deps: SessionDeps,
  http: (base: HttpClient) => HttpClient = (base) => base,
): Promise<TokenEndpointContext> {
  return {
    metadata,
    client,
    encoding: provider.config.token_request_encoding ?? 'form',
    http: http(await providerHttp(provider, deps)),
    now: () => deps.clock.now(),
  }
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** What a command on one stored credential starts from: its provider, the store, and the credential's key. */
export async function openCredentialContext(
  opts: { provider: string; profile: string; config?: string; store: StoreChoice },
  deps: SessionDeps,
): Promise<{ provider: ResolvedProvider; store: CredentialStore; key: CredentialKey }> {
  const provider = await loadProvider(opts.provider, { config: opts.config }, deps)
  const store = await deps.openStore(opts.store)
  return { provider, store, key: { provider: provider.name, profile: opts.profile } }
}
