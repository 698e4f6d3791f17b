/**
 * `oauth-cli authorize <request>`: the browser side of `login --remote`. It
 * opens the browser, catches the redirect, and prints a one-line answer to
 * paste back on the machine without a browser. It never sees a token.
 */
import { authorizeForRemote, decodeRemoteRequest } from '../../session/remote-login'
import type { Deps } from '../deps'
import type { ExitCode } from '../errors'
import type { AuthorizeOptions } from '../options'
import { describeEvent } from './login'

export async function executeAuthorize(opts: AuthorizeOptions, deps: Deps): Promise<ExitCode> {
  const request = decodeRemoteRequest(opts.request)
  const answer = await authorizeForRemote(
    request,
    { noBrowser: !opts.browser, timeoutSeconds: opts.timeoutSeconds },
    deps,
    (event) => deps.io.stderr.write(describeEvent(event, request.provider)),
  )
  deps.io.stderr.write('Paste this line into the waiting `oauth-cli login --remote`:\n')
  deps.io.stdout.write(`${answer}\n`)
  return 0
}
