/**
 * The full CLI (ESM, code-split): builds Deps, runs the commander tree, prints
 * an error if there is one, and returns the exit code. `main.ts` answers the
 * hot paths itself and hands everything else here, whole.
 */
import { createDeps, type Deps } from './cli/deps'
import { saidIfUndelivered, withOutput } from './cli/held-output'
import { rootInterrupt, silentAfter } from './cli/interrupt'
import { scanGlobalFlags } from './cli/options'
import type { ProcessLike } from './platform/process'
import { dropDependencyWarnings } from './platform/warnings'
import type { CallResume } from './session/api-call'
import type { ExitCode } from './cli/errors'
import { CancelledError } from './session/errors'

/** `call`: where the fast path left off (see CallResume). Plain data, since it crosses from the fast build. */
export interface Resume {
  call?: CallResume
}

export async function mainFull(proc: ProcessLike, argv: string[], resume: Resume = {}): Promise<ExitCode> {
  const flags = scanGlobalFlags(argv)
  dropDependencyWarnings(proc)
  // Ctrl-C in any wait (browser, device code, lock, network) ends like Ctrl-C at a prompt: one "cancelled" line
  // and exit 130. The work stops where it can (a refresh sends nothing more; cli/interrupt.ts), and the process
  // ends only once a refresh under its lock has settled (no temp file left, the lock released).
  const { interrupt, interrupted, finished } = rootInterrupt(proc)
  const base = await createDeps(proc, flags)
  // Once "cancelled" is said, no result follows it on stdout (a token a lock's holder stored meanwhile).
  const deps: Deps = { ...base, interrupt, io: withOutput(() => base.io, { stdout: silentAfter(interrupt.signal, () => base.io.stdout) }) }
  try {
    const { runCli } = await import('./cli/program')
    const call = resume.call
    // A call the fast build began resumes where it stopped (its module loaded only then).
    const runners: Parameters<typeof runCli>[2] = call
      ? await import('./cli/commands/call').then(({ executeCall }) => ({ call: (opts, d) => executeCall(opts, d, undefined, call) }))
      : {}
    const code = await Promise.race([runCli(argv, deps, runners), interrupted])
    // Every command's output is out: one stdout write that failed (a full disk) makes it a failure, said on stderr.
    return await saidIfUndelivered(base.io, code)
  } catch (err) {
    // A spinner or a prompt may hold the line: start a new one.
    if (err instanceof CancelledError && deps.io.stderr.isTTY) deps.io.stderr.write('\n')
    const { formatError } = await import('./cli/report')
    const report = formatError(err, { verbose: flags.verbose, secrets: deps.secrets.values() })
    deps.io.stderr.write(report.text)
    await finished()
    return report.exitCode
  } finally {
    // The shared store's connection is closed before exit, never left to the process's end.
    await deps.closeStores?.()
  }
}
