/**
 * Errors from reading and resolving provider configuration. Providers never
 * import `cli`: `cli/report.ts` maps every `ConfigError` to exit code 2.
 */

export type ConfigErrorCode =
  | 'unknown_provider'
  | 'malformed_config'
  | 'invalid_value'
  | 'insecure_endpoint'
  | 'missing_client_id'
  | 'missing_redirect_uri'
  | 'missing_config'

export interface ConfigErrorOptions {
  hint?: string
  known?: string[]
  cause?: unknown
}

/**
 * A configuration problem the user can fix: the message names the file, the
 * JSON path or the variable to set, and never carries a secret value.
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode
  /** A runnable command or what to set, printed on its own line. */
  readonly hint?: string
  /** For `unknown_provider`: every known provider name, so the CLI can suggest the closest. */
  readonly known?: string[]

  constructor(code: ConfigErrorCode, message: string, options: ConfigErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ConfigError'
    this.code = code
    if (options.hint !== undefined) this.hint = options.hint
    if (options.known !== undefined) this.known = options.known
  }
}
