/**
 * The tool's own OAuth core (oauth4webapi underneath) against the sandbox: what
 * `login sandbox`, `refresh` and `logout` will do, minus the CLI. It proves the
 * sandbox speaks the dialect a strict client expects (discovery, `iss`, RFC 6749
 * bodies, RFC 7009), and that its provider entry passes the config schema.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { HttpClient } from '../../../src/http/types'
import { buildAuthorizationUrl } from '../../../src/oauth/authorize-url'
import { validateCallback } from '../../../src/oauth/callback'
import { discoverMetadata } from '../../../src/oauth/discovery'
import { OAuthError } from '../../../src/oauth/errors'
import { createPkce, createState } from '../../../src/oauth/pkce'
import { revokeToken } from '../../../src/oauth/revoke'
import { requestToken, type TokenEndpointContext } from '../../../src/oauth/token-endpoint'
import type { OAuthClient, RefreshToken, ServerMetadata } from '../../../src/oauth/types'
import { validateProviderConfig } from '../../../src/providers/schema'
import { sandboxProviderConfig } from '../../../src/sandbox/provider'
import { SANDBOX_CLIENT_ID, startSandbox, type Sandbox } from '../../../src/sandbox/server'

const REDIRECT = 'http://127.0.0.1:5123/callback'
const http: HttpClient = (url, init) => fetch(url, init as RequestInit)
const client: OAuthClient = { client_id: SANDBOX_CLIENT_ID, token_endpoint_auth_method: 'none' }

let sandbox: Sandbox

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0 })
})

afterEach(async () => {
  await sandbox.close()
})

async function consentRedirect(url: URL): Promise<URLSearchParams> {
  const html = await (await fetch(url)).text()
  const consent_id = /name="consent_id" value="([^"]+)"/.exec(html)?.[1] ?? ''
  const answer = await fetch(`${sandbox.url}/authorize/decision`, {
    method: 'POST',
    body: new URLSearchParams({ consent_id, decision: 'allow' }),
    redirect: 'manual',
  })
  return new URL(answer.headers.get('location') ?? '').searchParams
}

describe('the oauth core against the sandbox', () => {
  it('discovers, authorizes, exchanges, refreshes with rotation and revokes', async () => {
    const metadata: ServerMetadata = await discoverMetadata(sandbox.url, http)
    expect(metadata.token_endpoint).toBe(`${sandbox.url}/token`)
    const pkce = await createPkce()
    const state = createState()
    const url = buildAuthorizationUrl(metadata.authorization_endpoint ?? '', {
      client_id: SANDBOX_CLIENT_ID,
      redirect_uri: REDIRECT,
      state,
      code_challenge: pkce.challenge,
      scope: 'profile items:read',
    })
    const callback = validateCallback(await consentRedirect(url), state, metadata, SANDBOX_CLIENT_ID)
    const ctx: TokenEndpointContext = { metadata, client, encoding: 'form', http, now: Date.now }
    const tokens = await requestToken(ctx, { grant_type: 'authorization_code', code: callback.code, redirect_uri: REDIRECT, code_verifier: pkce.verifier })
    expect(tokens.scope).toEqual(['profile', 'items:read'])

    const refreshed = await requestToken(ctx, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as RefreshToken })
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)
    await expect(requestToken(ctx, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as RefreshToken })).rejects.toMatchObject({
      constructor: OAuthError,
      error: 'invalid_grant',
    })

    const again = await requestToken(ctx, { grant_type: 'authorization_code', code: callback.code, redirect_uri: REDIRECT, code_verifier: pkce.verifier }).catch((err: unknown) => err)
    expect(again).toBeInstanceOf(OAuthError)

    const revokeCtx = { endpoint: metadata.revocation_endpoint ?? '', style: 'rfc7009' as const, client, encoding: 'form' as const, http, issuer: metadata.issuer }
    await expect(revokeToken(revokeCtx, 'not-a-token', 'refresh_token')).resolves.toBeUndefined()
  })

  it('publishes a provider entry that passes the config schema and points at the sandbox', () => {
    const entry = validateProviderConfig('sandbox', sandboxProviderConfig(sandbox.url), 'test')
    expect(entry).toMatchObject({ issuer: sandbox.url, api_base_url: `${sandbox.url}/api`, client_id: SANDBOX_CLIENT_ID })
  })
})
