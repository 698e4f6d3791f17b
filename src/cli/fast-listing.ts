/**
 * `status` and `providers` in the start-up fast build (no commander, no ESM
 * loader), built as their own CommonJS file (dist/fast-listing.cjs) so that
 * a listing loads none of `call`'s code. They only read, so anything
 * unexpected (an error, a module the fast build left out) is handed whole to
 * the full CLI, which runs the command from the start; their output is held
 * until they finish, so a hand-off never prints anything twice.
 */
import type { IO } from '../platform/io'
import type { ProcessLike } from '../platform/process'
import { envProfile } from '../session/profiles'
import { executeProviders } from './commands/providers'
import { executeStatus } from './commands/status'
import { createDeps, type Deps } from './deps'
import type { ExitCode } from './errors'
import type { FastListing } from './fast-path'
import { reportUnreachableStore } from './fast-token'
import { scanGlobalFlags } from './options'

export async function tryFastListing(listing: FastListing, argv: string[], proc: ProcessLike): Promise<ExitCode | undefined> {
  if (listing.opts.verbose) return undefined
  const notices: string[] = []
  let deps: Deps | undefined
  try {
    deps = await createDeps(proc, scanGlobalFlags(argv), { notice: (line) => notices.push(line) })
    const held = holdOutput(deps.io)
    const run = { ...deps, io: held.io }
    const code =
      listing.command === 'status'
        ? await executeStatus({ ...listing.opts, profile: listing.opts.profile ?? envProfile(deps.env) }, run)
        : await executeProviders({ ...listing.opts, profile: listing.opts.profile ?? 'default' }, run)
    for (const line of notices) deps.io.stderr.write(`${line}\n`)
    held.flush()
    return code
  } catch (err) {
    return reportUnreachableStore(err, proc)
  } finally {
    await deps?.closeStores?.()
  }
}

/** An IO whose stdout and stderr writes are kept, in order, until `flush`. */
function holdOutput(real: IO): { io: IO; flush(): void } {
  const held: Array<[stream: 'stdout' | 'stderr', chunk: string | Uint8Array]> = []
  const holding = (stream: 'stdout' | 'stderr') => ({
    write: (chunk: string | Uint8Array) => void held.push([stream, chunk]),
    get isTTY() {
      return real[stream].isTTY
    },
  })
  const io: IO = {
    stdout: holding('stdout'),
    stderr: holding('stderr'),
    get stdinIsTTY() {
      return real.stdinIsTTY
    },
    get color() {
      return real.color
    },
    readStdin: () => real.readStdin(),
    readLine: (prompt, options) => real.readLine(prompt, options),
  }
  return { io, flush: () => held.splice(0).forEach(([stream, chunk]) => real[stream].write(chunk)) }
}
