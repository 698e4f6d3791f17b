import { describe, expect, it } from 'vitest'
import { LoginTimeoutError } from '../../../src/session/errors'
import { startLoginTimer } from '../../../src/session/login-timeout'
import { FakeClock } from '../../fakes'

const manualClock = () => new FakeClock(undefined, { manual: true })

describe('startLoginTimer', () => {
  it.each([
    ['the wait ends first', 'pasted', 'pasted'],
    // A wait that answers the very word a string sentinel would have used is still an answer.
    ['the wait answers "timeout"', 'timeout', 'timeout'],
  ])('gives what the wait gives when %s', async (_case, answer, expected) => {
    const timer = startLoginTimer({ clock: manualClock() }, 300, 'acme')
    await expect(timer.race(Promise.resolve(answer))).resolves.toBe(expected)
    timer.stop()
  })

  it('fails with a LoginTimeoutError naming what timed out once the time is up', async () => {
    const clock = manualClock()
    const timer = startLoginTimer({ clock }, 5, 'acme')
    const raced = timer.race(new Promise<string>(() => {})).catch((e: unknown) => e)
    await clock.waitForSleep()
    clock.advance(4999)
    clock.advance(1)
    const err = await raced
    expect(err).toBeInstanceOf(LoginTimeoutError)
    expect((err as Error).message).toBe('login to acme did not complete within 5 s')
  })

  it('aborts its signal (the listeners and prompts of the wait) when stopped', async () => {
    const clock = manualClock()
    const timer = startLoginTimer({ clock }, 1, 'acme')
    expect(timer.signal.aborted).toBe(false)
    timer.stop()
    expect(timer.signal.aborted).toBe(true)
    const controller = new AbortController()
    const shared = startLoginTimer({ clock }, 1, 'acme', controller)
    expect(shared.signal).toBe(controller.signal)
    shared.stop()
    expect(controller.signal.aborted).toBe(true)
  })
})
