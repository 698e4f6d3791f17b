/** The IO port: the only way commands reach the terminal. */
export interface OutputStream {
  write(chunk: string | Uint8Array): void
  /**
   * Writes, then resolves once the stream can take more (back-pressure), so a
   * body streamed to a slow pipe is not buffered in memory. Rejects when the
   * stream is closed (EPIPE). Fakes may leave it out: `write` is used then.
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
