/**
 * Composition root: the only file that touches `process`. Builds Deps, runs the
 * CLI, prints an error if there is one, and returns the exit code.
 */
import { createDeps, scanGlobalFlags, type ProcessLike } from './cli/deps'
import type { ExitCode } from './cli/errors'

export async function main(proc: ProcessLike = process): Promise<ExitCode> {
  const argv = proc.argv.slice(2)
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
