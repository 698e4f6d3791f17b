/**
 * The `token` use case, for both builds: the start-up fast path
 * (`cli/fast-token.ts`, `refresh: false`) and the full `token` command
 * (`refresh: true`). The profile is resolved here (--profile,
 * OAUTH_CLI_PROFILE, profiles.json, "default"), so the two cannot decide
 * differently.
 */
import type { StoreChoice, StoredCredential } from '../store/credential-store'
import { expiresWithin, isRenewable, minimumLifeMs } from './credentials'
import type { SessionDeps } from './deps'
import { readEnvCredential } from './env-credential'
import { TokenLifetimeError } from './errors'
import { resolveProfile } from './profiles'
import { loadProvider } from './provider-context'
import type { ResolvedProvider } from '../providers/types'
import { warnIfUnverified } from './unverified'

export interface TokenRequest {
  provider: string
  /** As given (`--profile`); undefined lets the environment and profiles.json decide. */
  profile?: string
  config?: string
  store: StoreChoice
  /** `--min-ttl <seconds>`: the token lives at least this long (refreshed first if not). */
  minTtlSeconds?: number
  /** What a `refresh: false` read of the same request resolved ({@link RefreshDue}): not resolved again. */
  resolved?: TokenResolution
}

/** The profile and the provider a read resolved: plain data, so it can cross from one fast-build file to another. */
export interface TokenResolution {
  profile: string
  provider: ResolvedProvider
}

/** The `refresh: false` answer for a stored credential that needs renewing, with what the read resolved. */
export interface RefreshDue {
  refresh: TokenResolution
}

/**
 * A credential with a valid access token (the caller prints the token, or with
 * `--json` also its type and expiry). `OAUTH_CLI_<PROVIDER>_TOKEN`, when set, is the answer
 * as is: the store is not opened, and its lifetime is unknown, so `--min-ttl`
 * cannot check it. With `refresh: false` nothing is refreshed or written: the
 * answer is {@link RefreshDue} when the stored credential has too little life
 * left and can be renewed (the caller runs the refreshing use case, `refresh:
 * true`, handing it `resolved`), and undefined for anything else the full
 * command must decide (nothing stored, or expired with no way to renew it).
 * @throws TokenLifetimeError when even a renewed token lives less than `--min-ttl`
 */
export async function readToken(req: TokenRequest, deps: SessionDeps, options: { refresh: false }): Promise<StoredCredential | RefreshDue | undefined>
export async function readToken(req: TokenRequest, deps: SessionDeps, options: { refresh: true }): Promise<StoredCredential>
export async function readToken(req: TokenRequest, deps: SessionDeps, options: { refresh: boolean }): Promise<StoredCredential | RefreshDue | undefined> {
  const { profile, provider } = req.resolved ?? (await resolve(req, deps))
  const fromEnv = readEnvCredential(provider, profile, deps.env, deps.clock.now())
  if (fromEnv) return fromEnv.credential
  const store = await deps.openStore(req.store)
  const key = { provider: provider.name, profile }
  if (!options.refresh) {
    const lookup = await store.get(key)
    if (lookup.status !== 'found') return undefined
    const credential = lookup.credential
    if (expiresWithin(credential, deps.clock.now(), minimumLifeMs(credential, req.minTtlSeconds))) {
      return isRenewable(credential) ? { refresh: { profile, provider } } : undefined
    }
    // Said on every use, as getFreshCredential does for the full command.
    warnIfUnverified(provider, credential, deps)
    return credential
  }
  const minTtlMs = req.minTtlSeconds === undefined ? undefined : req.minTtlSeconds * 1000
  // Loaded only here: the start-up fast path (refresh: false) never needs it.
  const { getFreshCredential } = await import('./fresh-token')
  const credential = await getFreshCredential(provider, key, store, deps, { minTtlMs })
  if (req.minTtlSeconds !== undefined) checkMinTtl(credential, req.minTtlSeconds, deps.clock.now())
  return credential
}

async function resolve(req: TokenRequest, deps: SessionDeps): Promise<TokenResolution> {
  const { profile } = await resolveProfile(req.provider, req.profile, deps)
  return { profile, provider: await loadProvider(req.provider, { config: req.config }, deps) }
}

/** After the refresh: a token that still lives less than asked means the provider's lifetime is shorter. */
function checkMinTtl(credential: StoredCredential, minTtlSeconds: number, now: number): void {
  if (!expiresWithin(credential, now, minTtlSeconds * 1000)) return
  const expiresAt = Date.parse(credential.expires_at ?? '')
  const left = Math.max(0, Math.floor((expiresAt - now) / 1000))
  if (isRenewable(credential)) {
    // It was just renewed, so its lifetime is what the provider gives; one second less leaves time to use it.
    const stored = Math.round((expiresAt - Date.parse(credential.updated_at)) / 1000)
    throw new TokenLifetimeError(credential, minTtlSeconds, { renewable: true, seconds: Number.isFinite(stored) && stored > 0 ? stored : left })
  }
  throw new TokenLifetimeError(credential, minTtlSeconds, { renewable: false, seconds: left })
}
