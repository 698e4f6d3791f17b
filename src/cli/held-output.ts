/**
 * Output held back by the start-up fast paths (fast-token.ts, fast-listing.ts,
 * fast-refresh.ts): they may still hand the command to the full CLI, which
 * must not find anything printed twice. Nothing of the real IO is touched
 * until it is needed: asking whether stderr is a terminal builds its stream,
 * and a spread (`{ ...io }`) would read `stdinIsTTY`, which creates the stdin
 * stream (~3 ms over a pipe) in commands that never read it.
 */
import type { IO, OutputStream } from '../platform/io'

/** The real IO (asked for only on use) with some of its output streams replaced. */
export function withOutput(real: () => IO, replaced: { stdout?: OutputStream; stderr?: OutputStream }): IO {
  return {
    get stdout() {
      return replaced.stdout ?? real().stdout
    },
    get stderr() {
      return replaced.stderr ?? real().stderr
    },
    get stdinIsTTY() {
      return real().stdinIsTTY
    },
    get color() {
      return real().color
    },
    readStdin: () => real().readStdin(),
    readLine: (prompt, options) => real().readLine(prompt, options),
  }
}

/** An IO whose stdout and stderr writes are kept, in order, until `flush`; `real` is asked for only on use. */
export function holdOutput(real: () => IO): { io: IO; flush(): void } {
  const held: Array<[stream: 'stdout' | 'stderr', chunk: string | Uint8Array]> = []
  const holding = (stream: 'stdout' | 'stderr'): OutputStream => ({
    write: (chunk: string | Uint8Array) => void held.push([stream, chunk]),
    get isTTY() {
      return real()[stream].isTTY
    },
  })
  const io = withOutput(real, { stdout: holding('stdout'), stderr: holding('stderr') })
  return { io, flush: () => held.splice(0).forEach(([stream, chunk]) => real()[stream].write(chunk)) }
}
