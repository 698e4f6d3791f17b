/** Typed options for every command: what commander hands to the run halves. */
import type { StoreChoice } from '../store/credential-store'

export interface CommonOptions {
  profile: string
  json: boolean
  verbose: boolean
  config?: string
  store: StoreChoice
}

export interface LoginOptions extends CommonOptions {
  provider: string
  scope?: string[]
  port?: number
  redirectUri?: string
  browser: boolean
  timeoutSeconds: number
  clientId?: string
  clientSecretStdin: boolean
  withToken: boolean
  device: boolean
  oauth: boolean
  /** `--client-credentials`: RFC 6749 §4.4, tokens for the client itself, fetched again on expiry. */
  clientCredentials: boolean
  /** Headless side of a remote login: print a command for a machine with a browser. */
  remote: boolean
}

export interface AuthorizeOptions extends CommonOptions {
  request: string
  browser: boolean
  timeoutSeconds: number
}

export interface CallOptions extends CommonOptions {
  provider: string
  target: string
  method?: string
  headers: string[]
  data?: string
  jsonBody?: string
  query: string[]
  include: boolean
  paginate: boolean
  /** `-o <file>`: the body goes to this file (raw bytes), not stdout. */
  output?: string
  /** With `--paginate`: one compact JSON item per line instead of one array. */
  ndjson: boolean
}

export interface ProviderCommandOptions extends CommonOptions {
  provider: string
}

export interface StatusOptions extends Omit<CommonOptions, 'profile'> {
  provider?: string
  /** Only this profile (`--profile` or OAUTH_CLI_PROFILE); every profile when absent. */
  profile?: string
}

export interface TokenOptions extends ProviderCommandOptions {
  /** `--min-ttl <seconds>`: the printed token lives at least this long (refreshed first if not). */
  minTtlSeconds?: number
}

export type ExportOptions = ProviderCommandOptions

export interface ImportOptions extends Omit<CommonOptions, 'profile'> {
  /** Store under this profile instead of the bundle's own (the provider is kept). */
  profile?: string
}

export interface ProfileUseOptions extends Omit<CommonOptions, 'profile'> {
  provider: string
  /** `default` resets the provider to the built-in default. */
  name: string
}

export type ProfileListOptions = Omit<CommonOptions, 'profile'>

export interface LogoutOptions extends ProviderCommandOptions {
  local: boolean
}

export type ProvidersOptions = CommonOptions

export interface DoctorOptions extends CommonOptions {
  /** With a provider, also its clock skew and redirect port. */
  provider?: string
}

export type CompletionShell = 'bash' | 'zsh' | 'fish'

export interface CompletionOptions {
  shell: CompletionShell
}
