/**
 * `--timeout` for the waits of a login (browser, paste, remote): one timer on
 * the injected clock, raced against the wait, and one abort signal that stops
 * the wait's listeners and prompts once the login ends, whichever way.
 */
import type { SessionDeps } from './deps'
import { LoginTimeoutError } from './errors'

export interface LoginTimer {
  /** Aborted by `stop()` (in the caller's `finally`, so also after a time-out): pass it to listeners and prompts. */
  signal: AbortSignal
  /** What `wait` gives, unless the time runs out first. @throws LoginTimeoutError naming `what` */
  race<T>(wait: Promise<T>): Promise<T>
  /** Ends the timer and aborts the signal; call it in `finally`. */
  stop(): void
}

const TIMED_OUT: unique symbol = Symbol('timed out')

/** Starts the timer now; `controller` when the signal must exist before (a listener started first). */
export function startLoginTimer(
  deps: Pick<SessionDeps, 'clock'>,
  seconds: number,
  what: string,
  controller: AbortController = new AbortController(),
  /** What is waited for, so the time-out message says where to look. */
  flow: LoginTimeoutError['flow'] = 'browser',
): LoginTimer {
  // Resolves on time-out, and also when stopped (then no one is racing it any more).
  const timer = deps.clock.sleep(seconds * 1000, controller.signal).then(
    () => TIMED_OUT,
    () => TIMED_OUT,
  )
  return {
    signal: controller.signal,
    race: async <T>(wait: Promise<T>): Promise<T> => {
      const outcome = await Promise.race([wait, timer])
      if (outcome === TIMED_OUT) throw new LoginTimeoutError(what, seconds, flow)
      return outcome as T
    },
    stop: () => controller.abort(new Error('login finished')),
  }
}
