/**
 * A root's Ctrl-C (fast-refresh.ts), as the session's Interrupt port
 * (session/deps.ts): at a SIGINT `interrupted` rejects with CancelledError, so
 * the root says "cancelled" at once (exit 130), and the port's signal aborts,
 * so the work stops where it can; `finished()` then waits for what was handed
 * to `finish` (a refresh under its lock: its temp file removed, the lock
 * released) before the root returns, and with it the process ends. A second
 * Ctrl-C still ends the process at once (bin/).
 */
import type { OutputStream } from '../platform/io'
import type { ProcessLike } from '../platform/process'
import type { Interrupt } from '../session/deps'
import { CancelledError } from '../session/errors'

export interface RootInterrupt {
  interrupt: Interrupt
  interrupted: Promise<never>
  finished(): Promise<void>
}

export function rootInterrupt(proc: ProcessLike): RootInterrupt {
  const controller = new AbortController()
  const pending = new Set<Promise<unknown>>()
  const interrupted = new Promise<never>((_resolve, reject) => {
    proc.once?.('SIGINT', () => {
      controller.abort(new CancelledError())
      reject(new CancelledError())
    })
  })
  interrupted.catch(() => undefined)
  return {
    interrupt: {
      signal: controller.signal,
      finish: (work) => {
        // Its failure is its own caller's to report; here it only has to have settled.
        const settled = work.then(
          () => undefined,
          () => undefined,
        )
        pending.add(settled)
        void settled.then(() => pending.delete(settled))
      },
    },
    interrupted,
    finished: async () => {
      while (pending.size > 0) await Promise.all(pending)
    },
  }
}

/** `stream`, silent once `signal` aborted: after "cancelled" no result follows on stdout. Back-pressure kept. */
export function silentAfter(signal: AbortSignal, stream: () => OutputStream): OutputStream {
  return {
    get isTTY() {
      return stream().isTTY
    },
    write: (chunk) => void (signal.aborted || stream().write(chunk)),
    writeAndDrain: async (chunk) => {
      if (signal.aborted) return
      const out = stream()
      if (out.writeAndDrain) return out.writeAndDrain(chunk)
      out.write(chunk)
    },
  }
}
