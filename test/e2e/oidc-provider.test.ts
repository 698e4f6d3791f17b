/**
 * The standard flows against a certified OpenID provider (oidc-provider) in
 * this process on 127.0.0.1: endpoints discovered from the issuer, code +
 * PKCE through a loopback listener, refresh with rotation (the provider
 * revokes the whole grant when a rotated refresh token comes back), RFC 7009
 * revocation, the device flow and the client credentials grant.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import {
  OIDC_ACCOUNT_ID,
  OIDC_CONFIDENTIAL_CLIENT_ID,
  OIDC_PUBLIC_CLIENT_ID,
  startOidcProvider,
  type RunningOidcProvider,
  oidcEntry,
} from '../support/oidc-provider'
import { runCli, spawnCli, type CliOptions, type CliRun, type SpawnedCli } from '../support/run-cli'
import { makeTempHome, type TempHome } from '../support/temp-home'
import { expectExit, parseStdout, scopesOf, type CredentialSummary } from './world'

const FOLLOW = fileURLToPath(new URL('../support/browser-follow.mjs', import.meta.url))
const CONCURRENT_TOKENS = 8

interface StoredTokens {
  access_token: string
  refresh_token?: string
  expires_at?: string
}

interface OidcWorld {
  op: RunningOidcProvider
  home: TempHome
  cli(args: string[], opts?: Partial<CliOptions>): Promise<CliRun>
  spawn(args: string[], opts?: Partial<CliOptions>): SpawnedCli
  /** What the `$BROWSER` did: one line per hop, `<status> <origin><path>`. */
  browserLog(): string
  /** The stored `oidc` credential, read from the file store's plain JSON. */
  stored(): StoredTokens
  /** Moves the stored access token's expiry into the past, as time passing would. */
  expireStoredAccessToken(): void
}


async function createOidcWorld(): Promise<OidcWorld & { close(): Promise<void> }> {
  const op = await startOidcProvider()
  const home = makeTempHome()
  home.writeConfig({
    providers: {
      oidc: oidcEntry(op),
      'oidc-machine': { issuer: op.issuer, client_id: OIDC_CONFIDENTIAL_CLIENT_ID, token_endpoint_auth_method: 'client_secret_basic' },
    },
  })
  const logFile = join(home.home, 'browser.log')
  const browser = home.writeExecutable('browser', `#!/bin/sh\nexec '${process.execPath}' '${FOLLOW}' --all --log '${logFile}' "$1"\n`)
  const env = { ...home.env, BROWSER: browser, OIDC_MACHINE_CLIENT_SECRET: op.confidentialClientSecret }
  const credentialsDir = join(home.env.XDG_DATA_HOME!, 'oauth-cli', 'credentials')
  const credentialFile = (): string => {
    const files = readdirSync(credentialsDir).filter((f) => f.startsWith('oidc@'))
    expect(files).toHaveLength(1)
    return join(credentialsDir, files[0]!)
  }
  return {
    op,
    home,
    cli: (args, opts = {}) => runCli(args, { ...opts, env: { ...env, ...opts.env } }),
    spawn: (args, opts = {}) => spawnCli(args, { ...opts, env: { ...env, ...opts.env } }),
    browserLog: () => readOr(logFile, ''),
    stored: () => JSON.parse(readFileSync(credentialFile(), 'utf8')) as StoredTokens,
    expireStoredAccessToken() {
      const path = credentialFile()
      const credential = JSON.parse(readFileSync(path, 'utf8')) as StoredTokens
      writeFileSync(path, JSON.stringify({ ...credential, expires_at: new Date(Date.now() - 1000).toISOString() }), { mode: 0o600 })
    },
    async close() {
      await op.close()
      home.cleanup()
    },
  }
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return fallback
  }
}

const it = test.extend<{ world: OidcWorld }>({
  // eslint-disable-next-line no-empty-pattern
  world: async ({}, use) => {
    const world = await createOidcWorld()
    await use(world)
    await world.close()
  },
})

async function login(world: OidcWorld): Promise<StoredTokens> {
  const run = await world.cli(['login', 'oidc'])
  expectExit(run, 0)
  expect(run.stdout).toBe('')
  return world.stored()
}

async function callMe(world: OidcWorld): Promise<unknown> {
  const run = await world.cli(['call', 'oidc', '/me'])
  expectExit(run, 0)
  return parseStdout(run)
}

describe('against oidc-provider', { concurrent: true, timeout: 40_000 }, () => {
  it('logs in with code + PKCE at discovered endpoints and gets a token the userinfo endpoint accepts', async ({ world }) => {
    const run = await world.cli(['login', 'oidc', '--json'])
    expectExit(run, 0)
    expect(run.stderr).toMatch(/oidc/)
    const summary = parseStdout<CredentialSummary>(run)
    expect(summary).toMatchObject({ provider: 'oidc', profile: 'default', token_type: 'Bearer', refreshable: true, store: 'file' })
    expect(scopesOf(summary).sort()).toEqual(['offline_access', 'openid'])
    // authorize → interaction → resume → the CLI's loopback callback, all redirects.
    expect(world.browserLog()).toMatch(
      /^303 http:\/\/127\.0\.0\.1:\d+\/auth\n303 \S+\/interaction\/\S+\n303 \S+\/auth\/\S+\n200 http:\/\/127\.0\.0\.1:\d+\/callback\n$/,
    )
    // oidc-provider requires PKCE of a public client, so the exchange succeeding proves the verifier matched.
    expect(world.op.events.grants).toEqual(['authorization_code'])

    const status = await world.cli(['status', '--json'])
    expectExit(status, 0)
    expect(parseStdout<CredentialSummary[]>(status)).toMatchObject([{ provider: 'oidc', refreshable: true }])
    expect(await callMe(world)).toEqual({ sub: OIDC_ACCOUNT_ID })
    const { access_token, refresh_token } = world.stored()
    expect(await world.op.introspect(access_token)).toMatchObject({ active: true, client_id: OIDC_PUBLIC_CLIENT_ID, sub: OIDC_ACCOUNT_ID })
    expect(await world.op.introspect(refresh_token!)).toMatchObject({ active: true, client_id: OIDC_PUBLIC_CLIENT_ID })
    for (const secret of [access_token, refresh_token!]) {
      expect(run.stdout + run.stderr + status.stdout + status.stderr).not.toContain(secret)
    }
  })

  it('stores the rotated refresh token on each refresh, so two refreshes in a row keep the grant alive', async ({ world }) => {
    const first = await login(world)
    const spent: string[] = []
    for (const _ of [1, 2]) {
      const before = world.stored()
      const run = await world.cli(['refresh', 'oidc'])
      expectExit(run, 0)
      expect(run.stdout).toBe('')
      const after = world.stored()
      expect(after.refresh_token).not.toBe(before.refresh_token)
      expect(after.access_token).not.toBe(before.access_token)
      spent.push(before.refresh_token!)
    }
    expect(spent[0]).toBe(first.refresh_token)
    expect(world.op.events).toEqual({ grants: ['authorization_code', 'refresh_token', 'refresh_token'], grantErrors: [], revokedGrants: [] })
    for (const token of spent) expect(await world.op.introspect(token)).toMatchObject({ active: false })
    expect(await world.op.introspect(world.stored().refresh_token!)).toMatchObject({ active: true })
    expect(await callMe(world)).toEqual({ sub: OIDC_ACCOUNT_ID })
  })

  it('runs a provider that revokes the whole grant when a rotated refresh token is used again', async ({ world }) => {
    // The guard for the two tests around it: they could not fail if reuse went unnoticed.
    const { refresh_token } = await login(world)
    expect(await world.op.refreshDirectly(refresh_token!)).toMatchObject({ status: 200 })
    expect(await world.op.refreshDirectly(refresh_token!)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    expect(world.op.events.revokedGrants).toHaveLength(1)
    const run = await world.cli(['call', 'oidc', '/me'])
    expectExit(run, 3)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/oauth-cli login oidc/)
  })

  it(`lets ${CONCURRENT_TOKENS} concurrent token commands with an expired token share one refresh`, async ({ world }) => {
    const before = await login(world)
    world.expireStoredAccessToken()
    const runs = await Promise.all(Array.from({ length: CONCURRENT_TOKENS }, () => world.cli(['token', 'oidc'], { timeoutMs: 30_000 })))
    for (const run of runs) {
      expectExit(run, 0)
      expect(run.stderr).toBe('')
    }
    const printed = new Set(runs.map((r) => r.stdout))
    expect(printed.size).toBe(1)
    const fresh = world.stored()
    expect([...printed][0]).toBe(`${fresh.access_token}\n`)
    expect(fresh.access_token).not.toBe(before.access_token)
    // A second refresh with the spent token would have shown as invalid_grant and a revoked grant.
    expect(world.op.events).toEqual({ grants: ['authorization_code', 'refresh_token'], grantErrors: [], revokedGrants: [] })
    expect(await callMe(world)).toEqual({ sub: OIDC_ACCOUNT_ID })
    expect(await world.op.introspect(fresh.refresh_token!)).toMatchObject({ active: true })
  })

  it('revokes at the discovered revocation endpoint on logout, after which the provider refuses the refresh token', async ({ world }) => {
    const { access_token, refresh_token } = await login(world)
    const run = await world.cli(['logout', 'oidc'])
    expectExit(run, 0)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/oidc/)
    expect(world.op.events.revokedGrants).toHaveLength(1)
    expect(await world.op.introspect(refresh_token!)).toEqual({ active: false })
    // Revoking the refresh token revokes its grant, and with it the access token.
    expect(await world.op.introspect(access_token)).toEqual({ active: false })
    const direct = await world.op.refreshDirectly(refresh_token!)
    expect(direct).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    const status = await world.cli(['status', '--json'])
    expectExit(status, 0)
    expect(JSON.parse(status.stdout)).toEqual([])
  })

  it('logs in with the device flow: prints the user code on stderr and finishes once the user approves', async ({ world }) => {
    const cli = world.spawn(['login', 'oidc', '--device', '--no-browser'], { timeoutMs: 30_000 })
    const [, verificationUri, userCode] = await cli.waitForStderr(/visit (http:\/\/\S+) and enter the code: ([B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4})\n/)
    expect(verificationUri).toBe(`${world.op.issuer}/device`)
    await world.op.approveDevice(verificationUri!, userCode!)
    const run = await cli.exited
    expectExit(run, 0)
    expect(run.stdout).toBe('')
    expect(world.op.events.grants).toEqual(['urn:ietf:params:oauth:grant-type:device_code'])
    expect(world.browserLog()).toBe('')
    const status = await world.cli(['status', 'oidc', '--json'])
    expectExit(status, 0)
    expect(parseStdout<CredentialSummary[]>(status)).toMatchObject([{ provider: 'oidc', refreshable: true }])
    expect(await callMe(world)).toEqual({ sub: OIDC_ACCOUNT_ID })
  })

  it('gets a confidential client its own token with client_secret_basic and the client credentials grant', async ({ world }) => {
    const run = await world.cli(['login', 'oidc-machine', '--client-credentials'])
    expectExit(run, 0)
    expect(run.stdout).toBe('')
    const token = await world.cli(['token', 'oidc-machine'])
    expectExit(token, 0)
    expect(token.stderr).toBe('')
    expect(world.op.events.grants).toEqual(['client_credentials'])
    expect(await world.op.introspect(token.stdout.trim())).toMatchObject({ active: true, client_id: OIDC_CONFIDENTIAL_CLIENT_ID })
  })
})
