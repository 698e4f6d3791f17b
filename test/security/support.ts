/**
 * Shared set-up for the attack reproductions in test/security: a temp HOME whose
 * data directory the test can plant files in, and a credential to plant.
 */
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { createFileStore } from '../../src/store/file-store'
import type { StoredCredential } from '../../src/store/credential-store'
import { runCli, type CliRun } from '../support/run-cli'
import { makeTempHome, type TempHome } from '../support/temp-home'

export interface SecurityHome extends TempHome {
  /** `$XDG_DATA_HOME/oauth-cli` */
  dataDir: string
  /** `$XDG_DATA_HOME/oauth-cli/credentials` */
  credentialsDir: string
  fileOf(provider: string, profile?: string): string
  plant(credential: StoredCredential, passphrase?: string): Promise<void>
  cli(args: string[], env?: Record<string, string>, timeoutMs?: number, stdin?: string): Promise<CliRun & { ms: number }>
}

/** Homes made in a test, cleaned up after each test (register once per file). */
export function securityHomes(): () => SecurityHome {
  const homes: SecurityHome[] = []
  afterEach(() => {
    for (const home of homes.splice(0)) home.cleanup()
  })
  return () => {
    const home = securityHome()
    homes.push(home)
    return home
  }
}

export function securityHome(): SecurityHome {
  const home = makeTempHome()
  const dataDir = join(home.env.XDG_DATA_HOME!, 'oauth-cli')
  const credentialsDir = join(dataDir, 'credentials')
  return {
    ...home,
    dataDir,
    credentialsDir,
    fileOf: (provider, profile = 'default') => join(credentialsDir, `${provider}@${profile}.json`),
    plant: (credential, passphrase) => createFileStore({ dir: dataDir, passphrase }).set(credential),
    async cli(args, env = {}, timeoutMs = 20_000, stdin) {
      const started = Date.now()
      const run = await runCli(args, { env: { ...home.env, ...env }, timeoutMs, ...(stdin === undefined ? {} : { stdin }) })
      return { ...run, ms: Date.now() - started }
    },
  }
}

/** A fresh sandbox credential (the built-in provider needs no config and no network for `token`). */
export function sandboxCredential(overrides: Partial<StoredCredential> = {}): StoredCredential {
  return {
    version: 1,
    provider: 'sandbox',
    profile: 'default',
    kind: 'oauth',
    access_token: 'at-planted-0123456789',
    token_type: 'Bearer',
    refresh_token: 'rt-planted-0123456789',
    expires_at: new Date(Date.now() + 3600_000).toISOString(),
    scope: ['read'],
    updated_at: new Date().toISOString(),
    ...overrides,
  }
}
