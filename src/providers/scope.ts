/**
 * Scopes as a provider wants them in requests. Users and config files write
 * them space-separated (`--scope a b`, `"scope": "a b"`), as RFC 6749 §3.3 does;
 * a provider with `scope_separator: ","` (LiveChat) gets them joined by commas.
 * Each scope is otherwise left exactly as written (`accounts.roles--all:ro`).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
import type { ProviderConfig } from './types'

/** The `scope` parameter to send, or undefined for none (the provider's own default applies). */
export function requestScope(config: Pick<ProviderConfig, 'scope' | 'scope_separator'>, scope = config.scope): string | undefined {
  if (scope === undefined) return undefined
  const separator = config.scope_separator ?? ' '
  // With commas as the separator, a comma typed by the user separates too ("a,b c" → a, b, c).
  const parts = scope.split(separator === ',' ? /[\s,]+/ : /\s+/).filter((s) => s !== '')
  return parts.length === 0 ? undefined : parts.join(separator)
}
