/**
 * `oauth-cli version`: gh's word for `--version`, answered by the full CLI too,
 * so it behaves the same whatever global flags come around it
 * (`--no-color version`), not only where bin/ recognises it alone.
 */
import type { Command } from 'commander'
import { addCommonOptions, type CommandContext } from '../command-kit'

/** What `--version`, `-V` and `version` print (bin/ and main.ts write the same line before loading this). */
export const VERSION_LINE = `oauth-cli ${__OAUTH_CLI_VERSION__}`

export function defineVersion(ctx: CommandContext): Command {
  // No --json: the line is the whole answer, and --help should not promise another shape.
  return addCommonOptions(ctx.command('version', 'print the version (the same as --version)'), { json: false })
    .addHelpText('after', '\nExamples:\n  oauth-cli version\n  oauth-cli --version\n')
    .action(() => ctx.act(async () => {
      ctx.deps.io.stdout.write(`${VERSION_LINE}\n`)
      return 0
    }))
}
