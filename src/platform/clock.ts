/** The Clock port: the only source of time for core code. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number
  /** Resolves after `ms`, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/**
 * The longest delay one setTimeout holds (2^31-1 ms, about 24.8 days): Node
 * runs a longer one after 1 ms, with a TimeoutOverflowWarning.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      let timer: ReturnType<typeof setTimeout>
      // A delay longer than one timer holds is waited out in timers of at most MAX_TIMER_MS.
      const wait = (left: number): void => {
        timer = setTimeout(() => (left > MAX_TIMER_MS ? wait(left - MAX_TIMER_MS) : done()), Math.min(left, MAX_TIMER_MS))
      }
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = (): void => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      wait(ms)
      signal?.addEventListener('abort', onAbort, { once: true })
    }),
}
