/** `oauth-cli sandbox [--port N]`: the local OAuth 2.0 provider, until interrupted. */
import { sandboxProviderConfig, SANDBOX_CLIENT_ID, SANDBOX_DEFAULT_PORT } from '../../sandbox/provider'
import type { Deps } from '../deps'
import { UsageError, type ExitCode } from '../errors'

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
    `  device page      ${url}/device`,
    `  API              ${url}/api/me, ${url}/api/items`,
    `  access tokens    expire after ${accessTokenTtl} s; refresh tokens rotate on every use`,
    '',
    'Try it from another terminal:',
    '  oauth-cli login sandbox',
    '  oauth-cli call sandbox /me',
    '  oauth-cli call sandbox /items --paginate',
    '  oauth-cli login sandbox --device',
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

/**
 * Starts the sandbox, says how to use it, and serves until the process is
 * interrupted (or `signal` aborts, for tests): the promise resolves only then.
 * A port in use rejects with ListenError, which the CLI reports with exit 2.
 */
export async function executeSandbox(opts: SandboxCommandOptions, deps: Deps, signal?: AbortSignal): Promise<ExitCode> {
  checkOptions(opts)
  const { startSandbox } = await import('../../sandbox/server')
  const accessTokenTtl = opts.accessTokenTtl ?? 60
  const sandbox = await startSandbox({ port: opts.port ?? SANDBOX_DEFAULT_PORT, accessTokenTtl })
  deps.io.stderr.write(renderSandboxBanner(sandbox.url, accessTokenTtl))
  return new Promise<ExitCode>((resolve) => {
    const stop = (): void => void sandbox.close().then(() => resolve(0))
    if (signal?.aborted) stop()
    else signal?.addEventListener('abort', stop, { once: true })
  })
}
