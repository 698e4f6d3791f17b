/**
 * Output held back by the start-up fast paths (fast-token.ts, fast-listing.ts,
 * fast-refresh.ts): they may still hand the command to the full CLI, which
 * must not find anything printed twice. Nothing of the real IO is touched
 * until it is needed: asking whether stderr is a terminal builds its stream,
 * and a spread (`{ ...io }`) would read `stdinIsTTY`, which creates the stdin
 * stream (~3 ms over a pipe) in commands that never read it.
 */
import { isReaderGone, reasonOf, type IO, type OutputStream } from '../platform/io'
import type { ExitCode } from './errors'

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

/**
 * Whether the command's output reached stdout, asked once it is all written:
 * a write that failed for a reason other than a reader that went away (a full
 * disk, `> /dev/full`, EIO) is said as a message for stderr (exit 1), so that
 * `TOKEN=$(…)` or `… > file` never takes an empty answer for a good one.
 * A reader that went away (`| head -1`) had what it wanted: undefined.
 */
async function stdoutFailure(stdout: OutputStream): Promise<string | undefined> {
  try {
    await stdout.writeAndDrain?.('')
    return undefined
  } catch (err) {
    if (isReaderGone(err)) return undefined
    return `cannot write to stdout: ${reasonOf(err)}\ncheck where the output goes (a full disk, a file that cannot grow)`
  }
}

/**
 * A command's last word on its output: its exit `code`, or 1 once said on
 * stderr that stdout could not be written (stdoutFailure) where it was 0.
 */
export async function saidIfUndelivered(io: IO, code: ExitCode = 0): Promise<ExitCode> {
  const failure = await stdoutFailure(io.stdout)
  if (failure === undefined) return code
  io.stderr.write(`oauth-cli: ${failure}\n`)
  return code === 0 ? 1 : code
}
