/** `oauth-cli sandbox [--port N]`: the local OAuth 2.0 provider, until interrupted. */
import { ListenError } from '../../oauth/callback-server'
import {
  sandboxProviderConfig,
  SANDBOX_CLIENT_ID,
  SANDBOX_CONFIDENTIAL_CLIENT,
  SANDBOX_DEFAULT_ACCESS_TOKEN_TTL,
  SANDBOX_DEFAULT_PORT,
  SANDBOX_PASTE_REDIRECT_URI,
} from '../../sandbox/provider'
import type { Deps } from '../deps'
import { UsageError, type ExitCode } from '../errors'
import type { Command } from 'commander'
import { addFlags, readFlags, type CommandContext } from '../command-kit'
import { SANDBOX_FLAGS } from '../options'

export function defineSandbox(
  ctx: CommandContext,
  run: (opts: SandboxCommandOptions, deps: Deps) => Promise<ExitCode> = executeSandbox,
): Command {
  const cmd = ctx.command('sandbox', 'serve a local OAuth 2.0 provider on 127.0.0.1 to try everything without an account')
  return addFlags(cmd, SANDBOX_FLAGS)
    .addHelpText('after', '\nExamples:\n  oauth-cli sandbox &\n  oauth-cli login sandbox\n  oauth-cli call sandbox /me\n')
    .action(() => ctx.act(() => run(readFlags(cmd, SANDBOX_FLAGS), ctx.deps)))
}

export interface SandboxCommandOptions {
  /** Default SANDBOX_DEFAULT_PORT; 0 picks a free port. */
  port?: number
  /** Seconds. */
  accessTokenTtl?: number
}

function checkOptions(opts: SandboxCommandOptions): void {
  const { port, accessTokenTtl } = opts
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    throw new UsageError(`--port must be an integer from 0 to 65535, not ${port}`)
  }
  if (accessTokenTtl !== undefined && (!Number.isInteger(accessTokenTtl) || accessTokenTtl < 1)) {
    throw new UsageError(`the access token lifetime must be a whole number of seconds from 1, not ${accessTokenTtl}`)
  }
}

/** What the user reads on stderr once the sandbox listens. */
export function renderSandboxBanner(url: string, accessTokenTtl: number): string {
  const lines = [
    `oauth-cli sandbox is running at ${url}`,
    `  metadata         ${url}/.well-known/oauth-authorization-server`,
    `  client id        ${SANDBOX_CLIENT_ID} (public client, PKCE S256)`,
    `  confidential     ${SANDBOX_CONFIDENTIAL_CLIENT.client_id}, secret ${SANDBOX_CONFIDENTIAL_CLIENT.client_secret} (client credentials grant)`,
    `  redirect URIs    any http loopback one, and ${SANDBOX_PASTE_REDIRECT_URI} (paste mode)`,
    `  device page      ${url}/device`,
    `  API              ${url}/api/me, ${url}/api/items`,
    `  access tokens    expire after ${accessTokenTtl} s; refresh tokens rotate on every use`,
    '',
    'Try it from another terminal:',
    '  oauth-cli login sandbox',
    '  oauth-cli call sandbox /me',
    '  oauth-cli call sandbox /items --paginate',
    '  oauth-cli login sandbox --device',
    `  oauth-cli login sandbox --redirect-uri ${SANDBOX_PASTE_REDIRECT_URI}   # paste mode`,
    `  SANDBOX_CLIENT_SECRET=${SANDBOX_CONFIDENTIAL_CLIENT.client_secret} oauth-cli login sandbox --client-credentials --client-id ${SANDBOX_CONFIDENTIAL_CLIENT.client_id} --profile robot`,
    '',
  ]
  if (url !== sandboxProviderConfig().issuer) {
    const entry = { providers: { sandbox: sandboxProviderConfig(url) } }
    lines.push(
      `The built-in sandbox provider expects port ${SANDBOX_DEFAULT_PORT}; for this one, put this in the config file:`,
      JSON.stringify(entry, null, 2),
      '',
    )
  }
  lines.push('Everything is kept in memory. Press Ctrl+C to stop.', '')
  return lines.join('\n')
}

/** The sandbox's own port, not a login callback's: name it and the way to pick another. */
function sandboxPortError(err: ListenError): UsageError {
  const defaultNote = err.port === SANDBOX_DEFAULT_PORT ? ' (the built-in sandbox provider\'s port)' : ''
  if (err.code === 'port_in_use') {
    return new UsageError(`the sandbox cannot listen on port ${err.port}${defaultNote}: it is already in use (is another oauth-cli sandbox running?)`, {
      hint: 'stop what is using it, or pass --port <n> (--port 0 picks a free one and prints the config entry for it)',
      cause: err,
    })
  }
  return new UsageError(`the sandbox cannot listen on ${err.host}:${err.port}${defaultNote}`, {
    hint: 'pass --port <n> with a port above 1024 (--port 0 picks a free one)',
    cause: err,
  })
}

/**
 * Starts the sandbox, says how to use it, and serves until the process is
 * interrupted (or `signal` aborts, for tests): the promise resolves only then.
 * A port in use rejects with ListenError, which the CLI reports with exit 2.
 */
export async function executeSandbox(opts: SandboxCommandOptions, deps: Deps, signal?: AbortSignal): Promise<ExitCode> {
  checkOptions(opts)
  const { startSandbox } = await import('../../sandbox/server')
  const accessTokenTtl = opts.accessTokenTtl ?? SANDBOX_DEFAULT_ACCESS_TOKEN_TTL
  const port = opts.port ?? SANDBOX_DEFAULT_PORT
  const sandbox = await startSandbox({ port, accessTokenTtl }).catch((err: unknown) => {
    throw err instanceof ListenError ? sandboxPortError(err) : err
  })
  deps.io.stderr.write(renderSandboxBanner(sandbox.url, accessTokenTtl))
  return new Promise<ExitCode>((resolve) => {
    const stop = (): void => void sandbox.close().then(() => resolve(0))
    if (signal?.aborted) stop()
    else signal?.addEventListener('abort', stop, { once: true })
  })
}
