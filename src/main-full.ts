/**
 * The full CLI (ESM, code-split): builds Deps, runs the commander tree, prints
 * an error if there is one, and returns the exit code. `main.ts` answers the
 * hot paths itself and hands everything else here, whole.
 */
import { createDeps } from './cli/deps'
import { scanGlobalFlags } from './cli/options'
import type { ProcessLike } from './platform/process'
import type { CallResume } from './session/api-call'
import type { ExitCode } from './cli/errors'

/** `call`: where the fast path left off (see CallResume). Plain data, since it crosses from the fast build. */
export interface Resume {
  call?: CallResume
}

export async function mainFull(proc: ProcessLike, argv: string[], resume: Resume = {}): Promise<ExitCode> {
  const flags = scanGlobalFlags(argv)
  const deps = await createDeps(proc, flags)
  try {
    const { runCli } = await import('./cli/program')
    const call = resume.call
    if (!call) return await runCli(argv, deps)
    const { executeCall } = await import('./cli/commands/call')
    return await runCli(argv, deps, { call: (opts, d) => executeCall(opts, d, undefined, call) })
  } catch (err) {
    const { formatError } = await import('./cli/report')
    const report = formatError(err, { verbose: flags.verbose })
    deps.io.stderr.write(report.text)
    return report.exitCode
  }
}
