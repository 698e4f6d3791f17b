/**
 * `oauth-cli logout <provider>`: revoke where the provider can (RFC 7009, or a
 * declared style such as LiveChat's DELETE), then delete. If revocation fails
 * the credentials are kept, so nothing live is forgotten; `--local` skips it.
 */
import { escapeControls } from '../../platform/terminal-text'
import type { ResolvedProvider } from '../../providers/types'
import { logOut } from '../../session/logout'
import { openCredentialContext } from '../../session/provider-context'
import { revokeCredential, type RevokeOutcome } from '../../session/revoke-credential'
import { warnIfUnverified } from '../../session/unverified'
import { NotLoggedInError } from '../../session/errors'
import { ConfigError } from '../../providers/errors'
import { StoreError, type CredentialKey, type CredentialStore, type StoredCredential, type StoreKind } from '../../store/credential-store'
import type { Deps } from '../deps'
import { AuthRequiredError, CliError, runHint, type ExitCode } from '../errors'
import { renderJson } from '../render'
import { toCliError } from '../report'
import type { Command } from 'commander'
import { defineProviderCommand, type CommandContext } from '../command-kit'
import { LOGOUT_FLAGS, STORED_PROFILE_FLAG, type ProviderCommandOptions } from '../options'

export interface LogoutOptions extends ProviderCommandOptions {
  local: boolean
}

export function defineLogout(ctx: CommandContext, run: (opts: LogoutOptions, deps: Deps) => Promise<ExitCode> = executeLogout): Command {
  return defineProviderCommand(ctx, {
    name: 'logout',
    description: 'revoke at the provider where it can, then delete the stored credentials',
    flags: LOGOUT_FLAGS,
    examples: '\nExamples:\n  oauth-cli logout livechat\n  oauth-cli logout acme --profile work --local\n',
    // Also a name other commands refuse, as stored: how such an item (from an older import) is removed.
    profile: STORED_PROFILE_FLAG,
  }, run)
}

export type LogoutResult = RevokeOutcome & { store: StoreKind }

export async function runLogout(opts: LogoutOptions, deps: Deps): Promise<LogoutResult> {
  const { provider, store, key } = await openLogoutContext(opts, deps)
  // A proxy variable or --cacert that cannot be used is exit 2 before the wait for the lock, as for login, token and
  // refresh. --local sends nothing (nor does a logout whose provider is gone), so it needs no transport.
  if (!opts.local && provider !== undefined) await deps.http()
  return { ...(await logoutFrom(store, key, provider, deps, opts)), store: store.kind }
}

/**
 * The provider, the store and the key. A provider that is no longer configured (a config-file entry removed, or
 * renamed) still has its stored credentials listed by status, so they must stay removable: such a provider is
 * undefined here when something is stored under its name, and its unknown-provider error stands when nothing is.
 */
async function openLogoutContext(
  opts: LogoutOptions,
  deps: Deps,
): Promise<{ provider: ResolvedProvider | undefined; store: CredentialStore; key: CredentialKey }> {
  try {
    return await openCredentialContext(opts, deps)
  } catch (err) {
    if (!(err instanceof ConfigError && err.code === 'unknown_provider')) throw err
    const store = await deps.openStore(opts.store)
    const key = { provider: opts.provider, profile: opts.profile }
    const stored = await store.get(key).then(
      (lookup) => lookup.status === 'found',
      // An item there that cannot be read is still one to remove (--local).
      (readErr: unknown) => readErr instanceof StoreError && readErr.key !== undefined,
    )
    if (!stored) throw err
    return { provider: undefined, store, key }
  }
}

async function logoutFrom(
  store: CredentialStore,
  key: CredentialKey,
  provider: ResolvedProvider | undefined,
  deps: Deps,
  opts: LogoutOptions,
): Promise<RevokeOutcome> {
  const revokeCopy = (credential: StoredCredential): Promise<RevokeOutcome> =>
    provider === undefined ? Promise.resolve({ revoked: false, reason: unconfigured(key.provider) }) : revoke(provider, credential, deps, opts)
  // Read, revoked and deleted under the refresh lock: a refresh in flight can neither resurrect it nor be revoked half-way.
  return logOut(store, key, deps, { local: opts.local, revoke: revokeCopy }).catch(nothingToLogOut)
}

/** Why a credential of a provider that is no longer configured is removed unrevoked: nothing here knows where to revoke it. */
function unconfigured(name: string): string {
  return `${name} is no longer a configured provider (neither built in nor in the config file), so its tokens could not be revoked; revoke them at the provider if they may still be live`
}

/** Exit 3 is right for scripts (nothing is there), but "run login" is not what a logout wants to hear. */
function nothingToLogOut(err: unknown): never {
  if (!(err instanceof NotLoggedInError)) throw err
  const { provider, profile } = err.key
  throw new AuthRequiredError(`nothing is stored for ${provider} (profile ${profile}), so there is nothing to log out`, {
    hint: 'see what is stored: oauth-cli status',
    cause: err,
  })
}

async function revoke(
  provider: ResolvedProvider,
  credential: StoredCredential,
  deps: Deps,
  opts: LogoutOptions,
): Promise<RevokeOutcome> {
  warnIfUnverified(provider, credential, deps)
  try {
    return await revokeCredential(provider, credential, deps)
  } catch (err) {
    const cli = toCliError(err)
    throw new CliError(`could not revoke the ${provider.name} tokens (profile ${opts.profile}): ${cli.message}; the credentials were kept`, {
      exitCode: cli.exitCode,
      hint: `try again later, or ${runHint('logout', provider.name, opts.profile, ' --local', opts)}`,
      cause: err,
    })
  }
}

export async function executeLogout(opts: LogoutOptions, deps: Deps): Promise<ExitCode> {
  const result = await runLogout(opts, deps)
  // SPEC "JSON output": {"provider", "profile", "revoked", "store"}.
  if (opts.json) deps.io.stdout.write(renderJson({ provider: opts.provider, profile: opts.profile, revoked: result.revoked, store: result.store }))
  // The profile may be a stored name other commands refuse (STORED_PROFILE_FLAG): shown escaped.
  const what = `${opts.provider} (profile ${escapeControls(opts.profile)})`
  deps.io.stderr.write(
    result.revoked
      ? `✓ Revoked and removed the credentials for ${what}\n`
      : `✓ Removed the credentials for ${what} ${result.store === 'postgres' ? 'from the shared store, for every machine that uses it' : 'locally only'}; not revoked: ${result.reason}\n`,
  )
  return 0
}
