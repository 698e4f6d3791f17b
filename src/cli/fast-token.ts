/**
 * `oauth-cli token` when nothing but reading is needed: the stored token (or
 * an OAUTH_CLI_<PROVIDER>_TOKEN) is printed if it lives long enough. It never
 * refreshes, writes or reports an error: in any of those cases it answers
 * undefined and the full CLI runs the command from the start, so behaviour
 * and messages are the full CLI's. Notices are held back until the answer is
 * known, so a hand-off never prints one twice.
 */
import { expiresWithin, minimumLifeMs } from '../session/credentials'
import { readEnvCredential } from '../session/env-credential'
import { resolveProfile } from '../session/profiles'
import { unverifiedWarning, usesUnverifiedOAuth } from '../session/unverified'
import { loadProvider } from '../session/provider-context'
import type { ProcessLike } from '../platform/process'
import { createDeps } from './deps'
import type { ExitCode } from './errors'
import type { FastToken } from './fast-path'
import { scanGlobalFlags } from './options'

export async function tryFastToken(opts: FastToken, argv: string[], proc: ProcessLike): Promise<ExitCode | undefined> {
  // --verbose promises an HTTP trace; the full CLI gives it (there is none to give here, but say nothing less).
  if (opts.verbose) return undefined
  const notices: string[] = []
  try {
    const deps = await createDeps(proc, scanGlobalFlags(argv), { notice: (line) => notices.push(line) })
    const { profile } = await resolveProfile(opts.provider, opts.profile, deps)
    const provider = await loadProvider(opts.provider, { config: opts.config }, deps)
    const now = deps.clock.now()
    const fromEnv = readEnvCredential(provider, profile, deps.env, now)
    let value: string
    if (fromEnv) {
      value = fromEnv.credential.access_token
    } else {
      const lookup = await (await deps.openStore(opts.store)).get({ provider: provider.name, profile })
      if (lookup.status !== 'found') return undefined
      if (expiresWithin(lookup.credential, now, minimumLifeMs(lookup.credential, opts.minTtlSeconds))) return undefined
      value = lookup.credential.access_token
      // Said on every use, as the full CLI does (session/unverified).
      if (usesUnverifiedOAuth(provider, lookup.credential)) notices.push(unverifiedWarning(provider)!)
    }
    for (const line of notices) deps.io.stderr.write(`${line}\n`)
    deps.io.stdout.write(`${value}\n`)
    return 0
  } catch {
    // Whatever went wrong, the full CLI says it properly (and with the right exit code).
    return undefined
  }
}
