/** `doctor <provider>` says which kind of client the configuration is (shared/providers.md §1 "Refresh rotation"). */
import { describe, expect, it } from 'vitest'
import { checkClient, checkRedirectPort } from '../../../src/cli/commands/doctor'
import { resolveProvider } from '../../../src/providers/resolve'
import { makeTestDeps } from '../../fakes'

describe('doctor <provider>: which kind of client', () => {
  const resolve = (env: Record<string, string>, entry?: Record<string, unknown>) =>
    resolveProvider('livechat', { config: { path: '/cfg/config.json', exists: true, providers: entry ? { livechat: entry } : {} }, env, dotenv: {}, flags: {} })

  it('says a LiveChat configuration without a secret is a public web app (PKCE, rotating single-use refresh tokens)', () => {
    const result = checkClient(resolve({ LIVECHAT_CLIENT_ID: 'lc-client' }))
    expect(result).toEqual({
      name: 'client',
      ok: true,
      detail:
        'client id lc-client (from the environment): a public client, no client secret: a public (JavaScript web) app: no client secret, PKCE required, refresh tokens rotate and are single-use',
    })
  })

  it('says one with a secret is a server-side app', () => {
    const result = checkClient(resolve({ LIVECHAT_CLIENT_ID: 'lc-client', LIVECHAT_CLIENT_SECRET: 'lc-secret-value' }))
    expect(result.detail).toMatch(/a confidential client, secret from the environment: a server-side app/)
    expect(result.detail).not.toContain('lc-secret-value')
  })

  it('warns when there is no client id, naming the variable', () => {
    const result = checkClient(resolve({}))
    expect(result.ok).toBe('warn')
    expect(result.fix).toContain('LIVECHAT_CLIENT_ID')
  })
})

describe('doctor livestorm: redirect port', () => {
  it('warns that there is no redirect default instead of promising a loopback port', async () => {
    const livestorm = resolveProvider('livestorm', { config: { path: '/cfg/config.json', exists: false, providers: {} }, env: {}, dotenv: {}, flags: {} })
    const result = await checkRedirectPort(livestorm, makeTestDeps())
    expect(result.ok).toBe('warn')
    expect(result.detail).toMatch(/no redirect_uri, and no default: Livestorm OAuth is only for technology partners/)
    expect(result.fix).toContain('--with-token')
  })
})
