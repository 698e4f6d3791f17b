/**
 * A one-line progress indicator on stderr for waits such as the browser login:
 * on a terminal a spinner with the elapsed seconds, redrawn in place and
 * erased on stop; elsewhere (CI logs, pipes) plain lines, one per change.
 */
import type { IO } from './io'

export interface Spinner {
  /** Replaces the text after the label (on a non-TTY: prints it when it changed). */
  update(text: string): void
  /** Erases the spinner line and stops the timer; prints `finalLine` if given. Idempotent. */
  stop(finalLine?: string): void
}

export interface SpinnerOptions {
  label: string
  /** Time source for the elapsed seconds; default `Date.now` (pass `deps.clock.now`). */
  now?: () => number
  intervalMs?: number
  /** Starts a repeating timer and returns its cancel function; injectable for tests. */
  every?: (ms: number, tick: () => void) => () => void
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
/** Carriage return, then erase the whole line (ECMA-48 EL 2). */
const CLEAR_LINE = '\r\u001b[2K'

/** The timer never keeps the process alive on its own. */
const realEvery = (ms: number, tick: () => void): (() => void) => {
  const timer = setInterval(tick, ms)
  timer.unref()
  return () => clearInterval(timer)
}

export function createSpinner(io: Pick<IO, 'stderr' | 'color'>, options: SpinnerOptions): Spinner {
  return io.stderr.isTTY ? ttySpinner(io, options) : lineSpinner(io, options)
}

function ttySpinner(io: Pick<IO, 'stderr' | 'color'>, options: SpinnerOptions): Spinner {
  const now = options.now ?? Date.now
  const started = now()
  const cyan = (s: string) => (io.color ? `\u001b[36m${s}\u001b[39m` : s)
  const dim = (s: string) => (io.color ? `\u001b[2m${s}\u001b[22m` : s)
  let frame = 0
  let text = ''
  let stopped = false
  const draw = (): void => {
    const seconds = Math.max(0, Math.floor((now() - started) / 1000))
    const glyph = FRAMES[frame % FRAMES.length] as string
    io.stderr.write(`${CLEAR_LINE}${cyan(glyph)} ${options.label}${text ? ` ${text}` : ''} ${dim(`(${seconds}s)`)}`)
  }
  const cancel = (options.every ?? realEvery)(options.intervalMs ?? 100, () => {
    frame += 1
    draw()
  })
  draw()
  return {
    update(next) {
      if (stopped) return
      text = next
      draw()
    },
    stop(finalLine) {
      if (stopped) return
      stopped = true
      cancel()
      io.stderr.write(CLEAR_LINE)
      if (finalLine !== undefined) io.stderr.write(`${finalLine}\n`)
    },
  }
}

function lineSpinner(io: Pick<IO, 'stderr'>, options: SpinnerOptions): Spinner {
  let last: string | undefined
  let stopped = false
  io.stderr.write(`${options.label}\n`)
  return {
    update(text) {
      if (stopped || text === last) return
      last = text
      io.stderr.write(`${text}\n`)
    },
    stop(finalLine) {
      if (stopped) return
      stopped = true
      if (finalLine !== undefined) io.stderr.write(`${finalLine}\n`)
    },
  }
}
