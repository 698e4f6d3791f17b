/**
 * `status`, `providers` and `profile [list]` in the start-up fast build (no commander, no ESM
 * loader), built as their own CommonJS file (dist/fast-listing.cjs) so that
 * a listing loads none of `call`'s code. They only read, so anything
 * unexpected (an error, a module the fast build left out) is handed whole to
 * the full CLI, which runs the command from the start; their output is held
 * until they finish, so a hand-off never prints anything twice.
 */
import type { ProcessLike } from '../platform/process'
import { envProfile } from '../session/profiles'
import { executeProfileList } from './commands/profile'
import { executeProviders } from './commands/providers'
import { executeStatus } from './commands/status'
import { createDeps, type Deps } from './deps'
import type { ExitCode } from './errors'
import type { FastListing } from './fast-path'
import { reportUnreachableStore } from './fast-token'
import { holdOutput, saidIfUndelivered } from './held-output'
import { scanGlobalFlags } from './options'

export async function tryFastListing(listing: FastListing, argv: string[], proc: ProcessLike): Promise<ExitCode | undefined> {
  if (listing.opts.verbose) return undefined
  const notices: string[] = []
  let deps: Deps | undefined
  try {
    deps = await createDeps(proc, scanGlobalFlags(argv), { notice: (line) => notices.push(line) })
    const real = deps.io
    const held = holdOutput(() => real)
    const run = { ...deps, io: held.io }
    const code =
      listing.command === 'status'
        ? await executeStatus({ ...listing.opts, profile: listing.opts.profile ?? envProfile(deps.env) }, run)
        : listing.command === 'providers'
          ? await executeProviders({ ...listing.opts, profile: listing.opts.profile ?? 'default' }, run)
          : await executeProfileList(listing.opts, run)
    for (const line of notices) deps.io.stderr.write(`${line}\n`)
    held.flush()
    return await saidIfUndelivered(deps.io, code)
  } catch (err) {
    return reportUnreachableStore(err, proc)
  } finally {
    await deps?.closeStores?.()
  }
}
