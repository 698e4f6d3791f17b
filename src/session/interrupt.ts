/**
 * Where work stops for a Ctrl-C (SessionDeps.interrupt): before it takes a
 * lock, while it waits for one, and before it sends a request (one in flight is
 * aborted by the signal). Without an interrupt port (tests, a root that
 * reports none) nothing stops.
 */
import type { Interrupt } from './deps'
import { CancelledError } from './errors'

/** Throws CancelledError once the user has interrupted: nothing more may begin. */
export function refuseIfInterrupted(interrupt: Interrupt | undefined): void {
  if (interrupt?.signal.aborted) throw interrupt.signal.reason instanceof CancelledError ? interrupt.signal.reason : new CancelledError()
}
