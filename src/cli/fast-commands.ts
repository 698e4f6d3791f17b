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

/** The full CLI takes over: from the start, or (after a 401) from the refresh. */
export interface HandOff {
  resume?: CallResume
}

export async function tryFastCall(opts: FastCall, argv: string[], proc: ProcessLike): Promise<ExitCode | HandOff> {
  // --verbose promises a trace, which the fast build leaves out; pages can need a refresh after items went out.
  if (opts.verbose || opts.paginate) return {}
  const notices: string[] = []
  let sent = false
  const base = await createDeps(proc, scanGlobalFlags(argv), { notice: (line) => notices.push(line) })
  const deps = {
    ...base,
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
    return await executeCall({ ...opts, profile }, deps, undefined, { onRejected: (token) => (rejected = token) })
  } catch (err) {
    if (!sent) return reportUnreachableStore(err, proc) ?? {}
    // A 401 needs the refresh code: the full CLI refreshes and sends once more, as this process would have.
    if ((err as Error | undefined)?.name === 'NotOnFastPath' && rejected !== undefined) return { resume: { rejectedAccessToken: rejected } }
    return reportOnStderr(err, { provider: opts.provider, profile: profile ?? 'default', store: opts.store, config: opts.config }, base)
  } finally {
    // Before the full CLI takes over (or the process ends): the shared store's one connection is closed.
    await base.closeStores?.()
  }
}
