/**
 * `call` in the start-up fast build (no commander, no ESM loader; the
 * listings are in fast-listing.ts). It hands off only while nothing
 * has been sent (or the one request sent was refused with a 401 and needs the
 * refresh code, which the fast build leaves out); once a request went out, its
 * errors are reported here, exactly as the full CLI reports them.
 */
import type { ProcessLike } from '../platform/process'
import { resolveProfile } from '../session/profiles'
import type { CallResume } from '../session/api-call'
import { executeCall } from './commands/call'
import { createDeps } from './deps'
import type { ExitCode } from './errors'
import type { FastCall } from './fast-path'
import { reportUnreachableStore } from './fast-token'
import { scanGlobalFlags } from './options'
import { reportOnStderr } from './report'
import { withOutput } from './held-output'
import { lazyRootInterrupt, silentAfter } from './interrupt'
import { CancelledError } from '../session/errors'

/** The full CLI takes over: from the start, or (after a 401) from the refresh. */
export interface HandOff {
  resume?: CallResume
}

export async function tryFastCall(opts: FastCall, argv: string[], proc: ProcessLike): Promise<ExitCode | HandOff> {
  // --verbose promises a trace, which the fast build leaves out; pages can need a refresh after items went out.
  if (opts.verbose || opts.paginate) return {}
  const notices: string[] = []
  let sent = false
  // Ctrl-C once a refresh is due ends as in the full CLI (main-full.ts): one "cancelled" line, exit 130, nothing
  // more on stdout; a refresh already sent is let finish and its answer stored first (cli/interrupt.ts).
  const { interrupt, interrupted, finished, stopped } = lazyRootInterrupt(proc)
  const base = await createDeps(proc, scanGlobalFlags(argv), { notice: (line) => notices.push(line) })
  const deps = {
    ...base,
    interrupt,
    io: withOutput(() => base.io, { stdout: silentAfter(stopped, () => base.io.stdout) }),
    http: async () => {
      const client = await base.http()
      return ((url, init) => {
        if (!sent) for (const line of notices.splice(0)) base.io.stderr.write(`${line}\n`)
        sent = true
        return client(url, init)
      }) as Awaited<ReturnType<typeof base.http>>
    },
  }
  let profile: string | undefined
  let rejected: string | undefined
  try {
    profile = (await resolveProfile(opts.provider, opts.profile, deps)).profile
    return await Promise.race([executeCall({ ...opts, profile }, deps, undefined, { onRejected: (token) => (rejected = token) }), interrupted])
  } catch (err) {
    const cancelled = err instanceof CancelledError
    if (!sent && !cancelled) return reportUnreachableStore(err, proc) ?? {}
    // A 401 needs the refresh code: the full CLI refreshes and sends once more, as this process would have.
    if ((err as Error | undefined)?.name === 'NotOnFastPath' && rejected !== undefined) return { resume: { rejectedAccessToken: rejected } }
    for (const line of notices.splice(0)) base.io.stderr.write(`${line}\n`)
    if (cancelled && base.io.stderr.isTTY) base.io.stderr.write('\n')
    const code = reportOnStderr(err, { provider: opts.provider, profile: profile ?? 'default', store: opts.store, config: opts.config }, base)
    await finished()
    return code
  } finally {
    // Before the full CLI takes over (or the process ends): the shared store's one connection is closed.
    await base.closeStores?.()
  }
}
