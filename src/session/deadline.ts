/**
 * The overall deadline of a token request whose answer may be the only copy
 * of issued tokens (a refresh under its lock, a login's code exchange): headers
 * and body and retries included (the per-request timeout is an idle timeout,
 * which a dripping answer never trips). A Ctrl-C lets such a request finish
 * (session/deps.ts, Interrupt.awaitAnswer), so this is also what bounds that wait.
 */
import type { SessionDeps } from './deps'
import { safeUrl } from '../http/client'
import { TransportError } from '../http/types'
import { ConfigError } from '../providers/errors'

/** `OAUTH_CLI_REFRESH_DEADLINE_MS` (undocumented) shortens it for tests. */
const REFRESH_DEADLINE_MS = 30_000
/** An hour, as OAUTH_CLI_LEASE_SECONDS at most: far within one timer (a longer setTimeout fires at once). */
const MAX_REFRESH_DEADLINE_MS = 3_600_000

/**
 * The deadline in ms; `undone`: what a bad value leaves undone, for its message.
 * @throws ConfigError (exit 2) for a value that is not a whole number of ms from 1 to an hour.
 */
export function refreshDeadlineMs(env: SessionDeps['env'], undone = 'nothing was refreshed'): number {
  const raw = env.OAUTH_CLI_REFRESH_DEADLINE_MS
  if (raw === undefined || raw === '') return REFRESH_DEADLINE_MS
  const ms = Number(raw)
  if (/^\d+$/.test(raw) && ms >= 1 && ms <= MAX_REFRESH_DEADLINE_MS) return ms
  throw new ConfigError('invalid_value', `OAUTH_CLI_REFRESH_DEADLINE_MS must be a whole number of milliseconds from 1 to ${MAX_REFRESH_DEADLINE_MS}, got ${JSON.stringify(raw.slice(0, 40))}; ${undone}`, {
    hint: `unset OAUTH_CLI_REFRESH_DEADLINE_MS for the default of ${REFRESH_DEADLINE_MS / 1000} s`,
  })
}

/**
 * Runs `run` under a signal that aborts when the deadline passes (then a
 * TransportError says so: `what` did not finish, and `then`: what was kept and
 * what to do) or when `until` aborts (with its reason). One controller and a
 * listener on each, not AbortSignal.any: its first use costs a refresh about
 * 0.3 ms (validation, weak references to its sources).
 */
export async function withDeadline<T>(
  ms: number,
  endpoint: string | undefined,
  then: string,
  run: (signal: AbortSignal) => Promise<T>,
  until?: AbortSignal,
  what = 'the refresh',
): Promise<T> {
  const controller = new AbortController()
  let late = false
  const timer = setTimeout(() => {
    late = true
    controller.abort(new DOMException(`the deadline of ${what} passed`, 'TimeoutError'))
  }, ms)
  const ended = (): void => controller.abort(until?.reason)
  if (until?.aborted) ended()
  else until?.addEventListener('abort', ended, { once: true })
  try {
    return await run(controller.signal)
  } catch (err) {
    if (!late) throw err
    const url = endpoint !== undefined && URL.canParse(endpoint) ? new URL(endpoint) : undefined
    const where = url?.host ?? 'the token endpoint'
    const seconds = ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`
    throw new TransportError('timeout', url ? safeUrl(url) : '', `${what} did not finish within ${seconds} (${where} answered too slowly); ${then}`, { cause: err })
  } finally {
    clearTimeout(timer)
    until?.removeEventListener('abort', ended)
  }
}
