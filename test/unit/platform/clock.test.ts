import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_TIMER_MS, systemClock } from '../../../src/platform/clock'

/** Node runs a setTimeout longer than 2^31-1 ms after 1 ms (TimeoutOverflowWarning). */
const NODE_TIMER_LIMIT_MS = 2 ** 31 - 1

describe('systemClock.sleep', () => {
  afterEach(() => {
    vi.restoreAllMocks()
    vi.useRealTimers()
  })

  it('waits the whole of a delay longer than a Node timer holds, never asking setTimeout for more', async () => {
    vi.useFakeTimers()
    const asked: number[] = []
    const real = globalThis.setTimeout
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      asked.push(ms ?? 0)
      return real(fn, ms)
    }) as typeof setTimeout)
    const delay = 2 * NODE_TIMER_LIMIT_MS + 5000
    let done = false
    const slept = systemClock.sleep(delay).then(() => void (done = true))
    await vi.advanceTimersByTimeAsync(delay - 1)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await slept
    expect(done).toBe(true)
    expect(Math.max(...asked)).toBeLessThanOrEqual(NODE_TIMER_LIMIT_MS)
    expect(MAX_TIMER_MS).toBe(NODE_TIMER_LIMIT_MS)
  })

  it('an abort during a long delay rejects with its reason and leaves no timer behind', async () => {
    vi.useFakeTimers()
    const controller = new AbortController()
    const slept = systemClock.sleep(3 * NODE_TIMER_LIMIT_MS, controller.signal)
    await vi.advanceTimersByTimeAsync(NODE_TIMER_LIMIT_MS + 10)
    controller.abort(new Error('stopped'))
    await expect(slept).rejects.toThrow('stopped')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a short delay is one timer', async () => {
    vi.useFakeTimers()
    let done = false
    const slept = systemClock.sleep(250).then(() => void (done = true))
    await vi.advanceTimersByTimeAsync(249)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await slept
    expect(done).toBe(true)
  })
})
