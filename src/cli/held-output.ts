/**
 * Output held back by the start-up fast paths (fast-token.ts, fast-listing.ts):
 * they may still hand the command to the full CLI, which must not find
 * anything printed twice. Nothing of the real IO is touched until it is
 * needed (asking whether stderr is a terminal builds its stream).
 */
import type { IO } from '../platform/io'

/** An IO whose stdout and stderr writes are kept, in order, until `flush`; `real` is asked for only on use. */
export function holdOutput(real: () => IO): { io: IO; flush(): void } {
  const held: Array<[stream: 'stdout' | 'stderr', chunk: string | Uint8Array]> = []
  const holding = (stream: 'stdout' | 'stderr') => ({
    write: (chunk: string | Uint8Array) => void held.push([stream, chunk]),
    get isTTY() {
      return real()[stream].isTTY
    },
  })
  const io: IO = {
    stdout: holding('stdout'),
    stderr: holding('stderr'),
    get stdinIsTTY() {
      return real().stdinIsTTY
    },
    get color() {
      return real().color
    },
    readStdin: () => real().readStdin(),
    readLine: (prompt, options) => real().readLine(prompt, options),
  }
  return { io, flush: () => held.splice(0).forEach(([stream, chunk]) => real()[stream].write(chunk)) }
}
