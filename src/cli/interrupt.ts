/**
 * A root's Ctrl-C (fast-refresh.ts, main-full.ts), as the session's Interrupt
 * port (session/deps.ts): at a SIGINT `interrupted` rejects with
 * CancelledError, so the root says "cancelled" at once (exit 130), and the
 * port's signal aborts, so the work stops where it can; `finished()` then
 * waits for what was handed to `finish` (a refresh under its lock: its temp
 * file removed, the lock released) before the root returns, and with it the
 * process ends. Once a refresh request is out (`awaitAnswer`), its answer may
 * be the only copy of a rotated refresh token: a Ctrl-C then says it waits for
 * it, and `interrupted` rejects only once that work has settled (the answer
 * stored), with its own failure if it failed. A second Ctrl-C still ends the
 * process at once (bin/).
 *
 * SIGTERM (`timeout`, a CI job's cancel, `docker stop`) and SIGHUP (an SSH
 * session that dropped) end the command the same way, with their own exit code
 * (143, 129): killed at once, a process that had sent a refresh lost the rotated
 * refresh token its answer brought. The first of the three signals is the one
 * handled; any second one ends the process at once (SIGINT: bin/'s handler;
 * the others: their default action).
 */
import type { OutputStream } from '../platform/io'
import type { ProcessLike, StopSignal } from '../platform/process'
import type { Interrupt } from '../session/deps'
import { CancelledError } from '../session/errors'

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

export interface RootInterrupt {
  interrupt: Interrupt
  interrupted: Promise<never>
  finished(): Promise<void>
}

export function rootInterrupt(proc: ProcessLike): RootInterrupt {
  const controller = new AbortController()
  /** Each work handed to `finish`, until it settles: its failure, or undefined. */
  const pending = new Set<Promise<unknown>>()
  /** The request whose answer is awaited (awaitAnswer), once one is out. */
  let awaitingAnswer: string | undefined
  const interrupted = new Promise<never>((_resolve, reject) => {
    const listeners = STOP_SIGNALS.map((signal) => [signal, () => stop(signal)] as const)
    const stop = (signal: StopSignal): void => {
      for (const [other, listener] of listeners) proc.off?.(other, listener)
      controller.abort(new CancelledError(signal))
      if (awaitingAnswer === undefined || pending.size === 0) return reject(new CancelledError(signal))
      const again = signal === 'SIGINT' ? 'Ctrl-C' : signal
      proc.stderr.write(
        `${proc.stderr.isTTY ? '\n' : ''}oauth-cli: waiting for the answer to ${awaitingAnswer} already sent, so that the tokens it brings are stored (${again} again to abandon them)\n`,
      )
      void Promise.all(pending).then((outcomes) => {
        reject(outcomes.find((failure) => failure !== undefined && !(failure instanceof CancelledError)) ?? new CancelledError(signal))
      })
    }
    for (const [signal, listener] of listeners) proc.once?.(signal, listener)
  })
  interrupted.catch(() => undefined)
  return {
    interrupt: {
      signal: controller.signal,
      finish: (work) => {
        // Its failure is its own caller's to report; here it only has to have settled.
        const settled = work.then(
          () => undefined,
          (err: unknown) => err ?? new Error('failed'),
        )
        pending.add(settled)
        void settled.then(() => pending.delete(settled))
      },
      awaitAnswer: (what = 'the refresh') => void (awaitingAnswer = what),
    },
    interrupted,
    finished: async () => {
      while (pending.size > 0) await Promise.all(pending)
    },
  }
}

/**
 * rootInterrupt, made only once the work first asks for it (a refresh that is due): until then bin/'s own
 * handler ends a Ctrl-C at once, as before. For the fast call, whose every run would otherwise pay the first
 * use of an AbortController (~0.2 ms) and a SIGINT listener. `stopped`: aborted once the made one is.
 */
export function lazyRootInterrupt(proc: ProcessLike): RootInterrupt & { stopped: Pick<AbortSignal, 'aborted'> } {
  let root: RootInterrupt | undefined
  let cancel!: (reason: unknown) => void
  const interrupted = new Promise<never>((_resolve, reject) => (cancel = reject))
  interrupted.catch(() => undefined)
  const made = (): RootInterrupt => {
    if (root === undefined) {
      root = rootInterrupt(proc)
      root.interrupted.catch(cancel)
    }
    return root
  }
  return {
    interrupt: {
      get signal() {
        return made().interrupt.signal
      },
      finish: (work) => made().interrupt.finish(work),
      awaitAnswer: (what) => made().interrupt.awaitAnswer?.(what),
    },
    interrupted,
    finished: async () => root?.finished(),
    stopped: {
      get aborted() {
        return root?.interrupt.signal.aborted ?? false
      },
    },
  }
}

/** `stream`, silent once `signal` aborted: after "cancelled" no result follows on stdout. Back-pressure kept. */
export function silentAfter(signal: Pick<AbortSignal, 'aborted'>, stream: () => OutputStream): OutputStream {
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
