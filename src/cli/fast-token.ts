/**
 * `oauth-cli token` when nothing but reading is needed: the token use case
 * (`session/read-token.ts`, the same one the `token` command runs) without
 * refreshing, so the stored token (or an OAUTH_CLI_<PROVIDER>_TOKEN) is
 * printed if it lives long enough. It never refreshes, writes or reports an
 * error: in any of those cases it answers undefined and the full CLI runs the
 * command from the start, so behaviour and messages are the full CLI's (one
 * exception: a shared store that does not answer, which the full CLI would
 * wait for a second time). Everything (notices, warnings, the answer) is held back until the answer is
 * known, so a hand-off never prints one twice.
 */
import type { ProcessLike } from '../platform/process'
import { readToken, type RefreshDue } from '../session/read-token'
import { StoreError } from '../store/credential-store'
import { createDeps, type Deps } from './deps'
import type { ExitCode } from './errors'
import type { FastToken } from './fast-path'
import { holdOutput, saidIfUndelivered } from './held-output'
import { renderTokenJson } from './summary'
import { scanGlobalFlags } from './options'

/** An exit code; RefreshDue when the stored token needs renewing (fast-refresh.ts does it, with what was resolved here); undefined: the full CLI. */
export async function tryFastToken(opts: FastToken, argv: string[], proc: ProcessLike): Promise<ExitCode | RefreshDue | undefined> {
  // --verbose promises an HTTP trace; the full CLI gives it (there is none to give here, but say nothing less).
  if (opts.verbose) return undefined
  let deps: Deps | undefined
  const held = holdOutput(() => (deps as Deps).io)
  try {
    deps = await createDeps(proc, scanGlobalFlags(argv), { notice: (line) => held.io.stderr.write(`${line}\n`) })
    const value = await readToken(opts, { ...deps, io: held.io }, { refresh: false })
    if (value === undefined || 'refresh' in value) return value
    held.io.stdout.write(opts.json ? renderTokenJson(value) : `${value.access_token}\n`)
    held.flush()
    return await saidIfUndelivered(deps.io)
  } catch (err) {
    // Whatever else went wrong, the full CLI says it properly (and with the right exit code).
    return reportUnreachableStore(err, proc)
  } finally {
    // The shared store's one connection is closed before the answer (or the full CLI's own).
    await deps?.closeStores?.()
  }
}

/**
 * A shared store that did not answer within PGCONNECT_TIMEOUT would make the
 * full CLI wait as long again: the fast build says it, exactly as the full CLI
 * would (exit 5; the message names host and port, never a secret). Anything
 * else: undefined, for the full CLI to run the command from the start.
 */
export function reportUnreachableStore(err: unknown, proc: ProcessLike): ExitCode | undefined {
  if (!(err instanceof StoreError) || err.kind !== 'unreachable') return undefined
  proc.stderr.write(`oauth-cli: ${err.message}\n${err.hint ? `${err.hint}\n` : ''}`)
  return 5
}
