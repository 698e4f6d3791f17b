/**
 * `oauth-cli authorize <request>`: the browser side of `login --remote`. It
 * opens the browser, catches the redirect, and prints a one-line answer to
 * paste back on the machine without a browser. It never sees a token.
 */
import { authorizeForRemote, decodeRemoteRequest } from '../../session/remote-login'
import type { Deps } from '../deps'
import type { ExitCode } from '../errors'
import { describeEvent } from './login'
import { escapeControls } from '../../platform/terminal-text'
import type { Command } from 'commander'
import { addCommonOptions, addFlags, readFlags, type CommandContext } from '../command-kit'
import { AUTHORIZE_FLAGS, type CommonOptions } from '../options'

export interface AuthorizeOptions extends CommonOptions {
  request: string
  browser: boolean
  timeoutSeconds: number
}

export function defineAuthorize(
  ctx: CommandContext,
  run: (opts: AuthorizeOptions, deps: Deps) => Promise<ExitCode> = executeAuthorize,
): Command {
  const cmd = addCommonOptions(ctx.command('authorize', 'the browser side of `login --remote`: approve in the browser, print the answer to paste back').argument('<request>'), { json: false })
  return addFlags(cmd, AUTHORIZE_FLAGS)
    .addHelpText('after', "\nExamples:\n  oauth-cli authorize 'oauth-cli-remote:v1:…'  # as `login --remote` printed it\n")
    .action((request: string, _o: unknown, cmd: Command) =>
      ctx.act(() => run({ ...ctx.common(cmd), request, ...readFlags(cmd, AUTHORIZE_FLAGS) }, ctx.deps)),
    )
}

export async function executeAuthorize(opts: AuthorizeOptions, deps: Deps): Promise<ExitCode> {
  const request = decodeRemoteRequest(opts.request)
  const answer = await authorizeForRemote(
    request,
    { noBrowser: !opts.browser, timeoutSeconds: opts.timeoutSeconds },
    deps,
    // The name is checked (decodeRemoteRequest) and escaped too: the line is someone else's text.
    (event) => deps.io.stderr.write(describeEvent(event, escapeControls(request.provider))),
  )
  deps.io.stderr.write('Paste this line into the waiting `oauth-cli login --remote`:\n')
  deps.io.stdout.write(`${answer}\n`)
  return 0
}
