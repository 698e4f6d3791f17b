/**
 * The same IO with another stderr (the fast paths hold stderr back until they
 * know their answer). Its getters keep reading the real IO lazily: a spread
 * (`{ ...io }`) would read `stdinIsTTY`, which creates the stdin stream
 * (~3 ms over a pipe) in commands that never read it.
 */
import type { IO, OutputStream } from '../platform/io'

export function withStderr(io: IO, stderr: OutputStream): IO {
  return {
    stdout: io.stdout,
    stderr,
    get stdinIsTTY() {
      return io.stdinIsTTY
    },
    get color() {
      return io.color
    },
    readStdin: () => io.readStdin(),
    readLine: (prompt, options) => io.readLine(prompt, options),
  }
}
