/**
 * The full CLI (ESM, code-split): builds Deps, runs the commander tree, prints
 * an error if there is one, and returns the exit code. `main.ts` answers the
 * hot paths itself and hands everything else here, whole.
 */
import { createDeps } from './cli/deps'
import { scanGlobalFlags } from './cli/options'
import type { ProcessLike } from './platform/process'
import type { ExitCode } from './cli/errors'

export async function mainFull(proc: ProcessLike, argv: string[]): Promise<ExitCode> {
  const flags = scanGlobalFlags(argv)
  const deps = await createDeps(proc, flags)
  try {
    const { runCli } = await import('./cli/program')
    return await runCli(argv, deps)
  } catch (err) {
    const { formatError } = await import('./cli/report')
    const report = formatError(err, { verbose: flags.verbose })
    deps.io.stderr.write(report.text)
    return report.exitCode
  }
}
