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
}

export interface ProviderCommandOptions extends CommonOptions {
  provider: string
}

export interface StatusOptions extends CommonOptions {
  provider?: string
}

export interface LogoutOptions extends ProviderCommandOptions {
  local: boolean
}

export type ProvidersOptions = CommonOptions
