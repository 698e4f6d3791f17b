/**
 * `oauth-cli token` when the stored token needs renewing, in the start-up
 * fast build (its own CommonJS file, required only then): the full `token`
 * command's use case and printing (`executeToken`: the refresh lock and its
 * heartbeat, the token endpoint's resolution, the provider's quirks, the
 * save and its emergency file), with no commander, ESM loader or fetch.
 * Its errors are reported here as the full CLI reports them. Only a module
 * the fast build leaves out (discovery, a proxy's transport), which is met
 * before any request goes out, hands the command whole to the full CLI.
 * stderr is held until the first request is sent (or the answer is known),
 * so that a hand-off never prints anything twice.
 */
import type { OutputStream } from '../platform/io'
import type { ProcessLike } from '../platform/process'
import { CancelledError } from '../session/errors'
import type { TokenResolution } from '../session/read-token'
import { executeToken } from './commands/token'
import { createDeps } from './deps'
import type { ExitCode } from './errors'
import type { FastToken } from './fast-path'
import { scanGlobalFlags } from './options'
import { reportOnStderr } from './report'
import { saidIfUndelivered, withOutput } from './held-output'
import { rootInterrupt, silentAfter } from './interrupt'

export async function tryFastRefresh(opts: FastToken, argv: string[], proc: ProcessLike, resolved: TokenResolution): Promise<ExitCode | undefined> {
  const held: Array<string | Uint8Array> = []
  let sent = false
  const say = (chunk: string | Uint8Array): void => void (sent ? base.io.stderr.write(chunk) : held.push(chunk))
  const release = (): void => {
    sent = true
    for (const chunk of held.splice(0)) base.io.stderr.write(chunk)
  }
  // Ctrl-C while waiting (the lock, the provider) ends as in the full CLI: one "cancelled" line, exit 130; but the
  // refresh sends nothing more, and the process ends only once its lock is released and no file is left half-done.
  const { interrupt, interrupted, finished } = rootInterrupt(proc)
  const base = await createDeps(proc, scanGlobalFlags(argv), { notice: (line) => say(`${line}\n`) })
  const stderr: OutputStream = {
    get isTTY() {
      return base.io.stderr.isTTY
    },
    write: say,
  }
  // Once "cancelled" is said, no token follows it (one the lock's holder stored meanwhile, taken as it is).
  const stdout = silentAfter(interrupt.signal, () => base.io.stdout)
  const deps = {
    ...base,
    interrupt,
    io: withOutput(() => base.io, { stdout, stderr }),
    http: async () => {
      const client = await base.http()
      return ((url, init) => {
        if (!sent) release()
        return client(url, init)
      }) as Awaited<ReturnType<typeof base.http>>
    },
  }
  const { profile } = resolved
  try {
    const code = await Promise.race([executeToken({ ...opts, profile, resolved }, deps), interrupted])
    release()
    return await saidIfUndelivered(base.io, code)
  } catch (err) {
    if (!sent && (err as Error | undefined)?.name === 'NotOnFastPath') return undefined
    release()
    if (err instanceof CancelledError && base.io.stderr.isTTY) base.io.stderr.write('\n')
    const code = reportOnStderr(err, { provider: opts.provider, profile, store: opts.store, config: opts.config }, base)
    await finished()
    return code
  } finally {
    await base.closeStores?.()
  }
}
