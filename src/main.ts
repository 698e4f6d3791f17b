/**
 * Composition root and start-up fast path: the only code that touches
 * `process`. Scripts call `oauth-cli token …` in loops, one fresh Node process
 * each time, so `--version`, `--help` and a `token` whose stored token is still
 * fresh are answered here without loading commander, the protocol code or the
 * HTTP client. This file is built as one CommonJS bundle (scripts/build.mjs);
 * a stale token's refresh, `call` and the read-only listings are answered by
 * the fast build's other CommonJS files, required only for them. Anything else
 * is handed whole to the code-split ESM CLI (`main-full.ts`), which does the
 * work from scratch, so no object ever crosses between the two builds.
 */
import type { ProcessLike } from './platform/process'
import type { ExitCode } from './cli/errors'
import { helpKey, isVersionRequest, parseCallFastPath, parseListingFastPath, parseTokenFastPath } from './cli/fast-path'
import { tryFastToken } from './cli/fast-token'
import type { OutputStream } from './platform/io'
import { createNodeIO } from './platform/node-io'
import { readFileSync } from 'node:fs'

export async function main(proc: ProcessLike): Promise<ExitCode> {
  const argv = proc.argv.slice(2)
  // Straight to the descriptor (no stream to build); a reader that went away ends it quietly, as any output.
  const stdout = (): OutputStream => createNodeIO(proc, { noColor: true, env: proc.env }).stdout
  if (isVersionRequest(argv)) {
    stdout().write(`oauth-cli ${__OAUTH_CLI_VERSION__}\n`)
    return 0
  }
  // Precomputed from the real commander tree at build time (none when running from source).
  const key = helpKey(argv)
  const help = key === undefined ? undefined : precomputedHelp(key)
  if (help !== undefined) {
    stdout().write(help)
    return 0
  }
  const token = parseTokenFastPath(argv)
  if (token) {
    const code = await tryFastToken(token, argv, proc)
    // A stored token that needs renewing: refreshed in the fast build's own file (cli/fast-refresh.ts),
    // handed the profile and provider resolved here (plain data), not read and validated again.
    const done = typeof code === 'object' ? await (await import('./cli/fast-refresh')).tryFastRefresh(token, argv, proc, code.refresh) : code
    if (done !== undefined) return done
  }
  const call = parseCallFastPath(argv)
  if (call) {
    const outcome = await (await import('./cli/fast-commands')).tryFastCall(call, argv, proc)
    if (typeof outcome === 'number') return outcome
    if (outcome.resume) return (await import('./main-full')).mainFull(proc, argv, { call: outcome.resume })
  }
  const listing = parseListingFastPath(argv)
  if (listing) {
    const code = await (await import('./cli/fast-listing')).tryFastListing(listing, argv, proc)
    if (code !== undefined) return code
  }
  const { mainFull } = await import('./main-full')
  return mainFull(proc, argv)
}

/**
 * A command's --help text from the file the build wrote beside this bundle
 * (read only for --help: kept out of the bundle every `token` compiles). No
 * file, an unreadable one, or no text for that key: undefined, and commander
 * answers it in the full CLI.
 */
function precomputedHelp(key: string): string | undefined {
  if (!__OAUTH_CLI_HELP__) return undefined
  try {
    const texts: unknown = JSON.parse(readFileSync(new URL(__OAUTH_CLI_HELP__, import.meta.url), 'utf8'))
    if (typeof texts !== 'object' || texts === null || !Object.hasOwn(texts, key)) return undefined
    const text: unknown = (texts as Record<string, unknown>)[key]
    return typeof text === 'string' ? text : undefined
  } catch {
    return undefined
  }
}
