/** The IO port: the only way commands reach the terminal. */

/**
 * The reader of an output stream went away (`| head -1` has its line). Not a
 * failure: the command stops writing and ends quietly, its exit code what it
 * would have been (shared/SPEC.md has no code for it, and scripts under
 * `set -o pipefail` must not fail because `head` stopped reading).
 */
export class ReaderGoneError extends Error {
  override name = 'ReaderGoneError'
  readonly code = 'EPIPE'
  constructor() {
    super('the reader of the output went away')
  }
}

/** By name: the fast build and the full CLI each have their own copy of the class. */
/** What an I/O error says in a message: its code (ENOSPC), else its text. */
export function reasonOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err))
}

export function isReaderGone(err: unknown): err is ReaderGoneError {
  return err instanceof Error && err.name === 'ReaderGoneError'
}

export interface OutputStream {
  write(chunk: string | Uint8Array): void
  /**
   * Writes, then resolves once the stream can take more (back-pressure), so a
   * body streamed to a slow pipe is not buffered in memory. Rejects when the
   * stream is closed, with ReaderGoneError when its reader went away (EPIPE).
   * Fakes may leave it out: `write` is used then.
   */
  writeAndDrain?(chunk: string | Uint8Array): Promise<void>
  readonly isTTY: boolean
}

export interface IO {
  stdout: OutputStream
  stderr: OutputStream
  readonly stdinIsTTY: boolean
  /** Whether colour may be used on stderr (TTY, no NO_COLOR, no --no-color; FORCE_COLOR forces). */
  readonly color: boolean
  /** All of stdin as text (for `--client-secret-stdin`, `--with-token`, `-d @-`). */
  readStdin(): Promise<string>
  /**
   * One line from stdin. On a terminal the prompt goes to stderr, and with
   * `hidden` the typed characters are not echoed. Long lines are read whole.
   */
  readLine(prompt: string, options?: { hidden?: boolean; signal?: AbortSignal }): Promise<string>
}
