/**
 * Composition root: the only file that touches `process`. Builds Deps, runs the
 * CLI, prints an error if there is one, and returns the exit code. `--version`
 * and `token` take a fast path that never loads commander (cli/fast-path.ts):
 * scripts call them in loops, one fresh Node process each time.
 */
import { createDeps, scanGlobalFlags, type Deps, type ProcessLike } from './cli/deps'
import type { ExitCode } from './cli/errors'
import { isVersionRequest, parseTokenFastPath } from './cli/fast-path'

export async function main(proc: ProcessLike = process): Promise<ExitCode> {
  const argv = proc.argv.slice(2)
  if (isVersionRequest(argv)) {
    proc.stdout.write(`${__OAUTH_CLI_VERSION__}\n`)
    return 0
  }
  const flags = scanGlobalFlags(argv)
  const deps = await createDeps(proc, flags)
  try {
    return await dispatch(argv, deps)
  } catch (err) {
    const { formatError } = await import('./cli/report')
    const report = formatError(err, { verbose: flags.verbose })
    deps.io.stderr.write(report.text)
    return report.exitCode
  }
}

async function dispatch(argv: string[], deps: Deps): Promise<ExitCode> {
  const token = parseTokenFastPath(argv)
  if (token) {
    const [{ executeToken }, { resolveProfile }, { rememberContext }] = await Promise.all([
      import('./cli/commands/token'),
      import('./session/profiles'),
      import('./cli/error-context'),
    ])
    const { profile } = await resolveProfile(token.provider, token.profile, deps)
    try {
      return await executeToken({ ...token, profile }, deps)
    } catch (err) {
      throw rememberContext(err, { provider: token.provider, profile })
    }
  }
  const { runCli } = await import('./cli/program')
  return runCli(argv, deps)
}
