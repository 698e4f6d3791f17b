/**
 * Data someone hands the tool (a remote login request line, a bundle, a pasted
 * or environment token, Tidio's key pair from the environment or ./.env): a
 * bad one is refused with exit 2 and a message naming what was wrong and
 * where it came from, before anything is stored or sent; nothing it carries
 * reaches the terminal raw; and a request that cannot be built is never
 * reported as a network failure.
 */
import { createServer, type Server } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { decodeBundle, encodeBundle } from '../../src/session/bundle'
import type { StoredCredential } from '../../src/store/credential-store'
import { apiRequests, expectExit, it, loginAcme, parseStdout, SUITE, type World } from './world'

function remoteRequest(fields: Record<string, unknown>): string {
  const request = { provider: 'acme', profile: 'default', authorize_url: 'https://idp.example/authorize', redirect_uri: 'http://127.0.0.1:38999/callback', state: 's', ...fields }
  return `oauth-cli-remote:v1:${Buffer.from(JSON.stringify(request)).toString('base64url')}`
}

async function authorize(world: World, fields: Record<string, unknown>) {
  return world.cli(['authorize', remoteRequest(fields), '--no-browser', '--timeout', '2'])
}

/** A listener holding a loopback port, as another program would. */
async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return { port: (server.address() as { port: number }).port, server }
}

const ESC = '\u001b'

describe('authorize with a request line someone else made', SUITE, () => {
  it('refuses a provider or profile name no command takes, and never prints its escapes', async ({ makeWorld }) => {
    const world = await makeWorld()
    for (const fields of [{ provider: `p${ESC}]0;PWNED\u0007${ESC}[31mRED` }, { profile: `de${ESC}[2Jfault` }]) {
      const run = await authorize(world, fields)
      expectExit(run, 2)
      expect(run.stderr).not.toContain(ESC)
      expect(run.stderr).not.toContain('\u0007')
      expect(run.stderr).toMatch(/remote login request/)
      expect(run.stderr).toMatch(Object.hasOwn(fields, 'provider') ? /provider/ : /profile/)
    }
  })

  it('answers a malformed URL in it with exit 2 and the request\'s own message', async ({ makeWorld }) => {
    const world = await makeWorld()
    for (const fields of [{ authorize_url: 'not a url' }, { redirect_uri: '::::' }]) {
      const run = await authorize(world, fields)
      expectExit(run, 2)
      expect(run.stderr).toMatch(/the remote login request is not one this tool made/)
      expect(run.stderr).not.toMatch(/unexpected error|Invalid URL|--verbose/)
    }
  })

  it('on a busy redirect port, advises what works for authorize, not a --port it does not have', async ({ makeWorld }) => {
    const world = await makeWorld()
    const held = await holdPort()
    try {
      const run = await authorize(world, { redirect_uri: `http://127.0.0.1:${held.port}/callback` })
      expectExit(run, 2)
      expect(run.stderr).toContain(`port ${held.port} on 127.0.0.1 is already in use`)
      expect(run.stderr).not.toMatch(/pass --port/)
      expect(run.stderr).toMatch(/oauth-cli login acme --remote --port <n>/)
    } finally {
      held.server.close()
    }
  })
})

/** The stored credential of a fresh `acme` login, as a bundle would carry it. */
async function exportedCredential(world: World): Promise<StoredCredential> {
  await loginAcme(world)
  const exported = await world.cli(['export', 'acme'])
  expectExit(exported, 0)
  const decoded = decodeBundle(exported.stdout)
  if (!decoded.ok) throw new Error(decoded.reason)
  return decoded.credential
}

describe('import of a tampered bundle', SUITE, () => {
  it('refuses a token_type, client_id or client_secret with control characters, naming the field (exit 2, nothing stored)', async ({ makeWorld }) => {
    const world = await makeWorld()
    const good = await exportedCredential(world)
    expectExit(await world.cli(['logout', 'acme', '--local']), 0)
    const cases: Array<[keyof StoredCredential, string]> = [
      ['token_type', 'Bearer\r\nX-Evil: 1'],
      ['token_type', `Bearer${ESC}]0;PWN\u0007`],
      ['client_id', `test-client${ESC}[31m`],
      ['client_secret', 'sec\r\nret'],
    ]
    for (const [field, value] of cases) {
      const run = await world.cli(['import'], { stdin: `${encodeBundle({ ...good, [field]: value } as StoredCredential)}\n` })
      expectExit(run, 2)
      expect(run.stderr).toContain(`"${field}"`)
      expect(run.stderr).not.toContain(ESC)
      expect(run.stderr).not.toContain('X-Evil')
    }
    const status = await world.cli(['status', '--json'])
    expect(parseStdout<unknown[]>(status)).toEqual([])
  })

  it('says a header that cannot be built is no network failure (an access token no header can carry)', async ({ makeWorld }) => {
    const world = await makeWorld()
    const good = await exportedCredential(world)
    const stored = { ...good, access_token: 'tok€', expires_at: new Date(Date.now() + 3600_000).toISOString() }
    expectExit(await world.cli(['import'], { stdin: `${encodeBundle(stored)}\n` }), 0)
    const run = await world.cli(['call', 'acme', '/me'])
    expectExit(run, 1)
    expect(run.stderr).not.toMatch(/cannot reach|check your network/)
    expect(run.stderr).toMatch(/not sent/)
    expect(run.stderr).toMatch(/authorization/)
    expect(apiRequests(world.fp)).toEqual([])
  })
})

describe('a static credential no request can carry', SUITE, () => {
  it('is refused by login --with-token before the stored one is replaced (Bearer, and Livestorm\'s raw header)', async ({ makeWorld }) => {
    const world = await makeWorld({ providers: (fp) => ({ livestorm: { api_base_url: `${fp.url}/api` } }) })
    for (const provider of ['acme', 'livestorm']) {
      expectExit(await world.cli(['login', provider, '--with-token'], { stdin: 'good-token-1\n' }), 0)
      for (const bad of ['tok€', 'tøk', 'tok😀', `tok${ESC}[31m`]) {
        const run = await world.cli(['login', provider, '--with-token', '--force'], { stdin: bad })
        expectExit(run, 2)
        expect(run.stderr).toMatch(/cannot be sent in an HTTP header/)
        expect(run.stderr).not.toContain(bad)
      }
      const token = await world.cli(['token', provider])
      expectExit(token, 0)
      expect(token.stdout.trim()).toBe('good-token-1')
    }
  })

  it('is refused in OAUTH_CLI_<PROVIDER>_TOKEN, naming the variable, with nothing sent', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await world.cli(['call', 'acme', '/me'], { env: { OAUTH_CLI_ACME_TOKEN: 'tok€' } })
    expectExit(run, 2)
    expect(run.stderr).toMatch(/OAUTH_CLI_ACME_TOKEN/)
    expect(run.stderr).toMatch(/cannot be sent in an HTTP header/)
    expect(apiRequests(world.fp)).toEqual([])
  })

  it('takes any text but control characters for LiveChat\'s Basic form, which is sent as base64 of UTF-8', async ({ makeWorld }) => {
    const world = await makeWorld({ providers: (fp) => ({ livechat: { api_base_url: `${fp.url}/api` } }) })
    const refused = await world.cli(['login', 'livechat', '--with-token'], { stdin: `acct-1:pat${ESC}x` })
    expectExit(refused, 2)
    expect(refused.stderr).toMatch(/control characters/)
    world.fp.addStaticCredential('basic', 'acct-1:pät-1')
    expectExit(await world.cli(['login', 'livechat', '--with-token'], { stdin: 'acct-1:pät-1\n' }), 0)
    const run = await world.cli(['call', 'livechat', '/v3.6/agent/action/list_chats', '-d', '{}'])
    expectExit(run, 0)
    const seen = apiRequests(world.fp, '/api/v3.6/agent/action/list_chats').at(-1)
    expect(seen?.headers.authorization).toBe(`Basic ${Buffer.from('acct-1:pät-1', 'utf8').toString('base64')}`)
  })
})

describe('Tidio\'s key pair from the environment or ./.env', SUITE, () => {
  const tidio = (fp: { url: string }) => ({ tidio: { api_base_url: `${fp.url}/api` } })

  it('refuses a TIDIO_CLIENT_ID holding ":" instead of sending another id and secret (exit 2, nothing stored)', async ({ makeWorld }) => {
    const world = await makeWorld({ providers: tidio })
    const run = await world.cli(['login', 'tidio'], { env: { TIDIO_CLIENT_ID: 'ci:x', TIDIO_CLIENT_SECRET: 'cs' } })
    expectExit(run, 2)
    expect(run.stderr).toMatch(/TIDIO_CLIENT_ID contains ":"/)
    expect(parseStdout<unknown[]>(await world.cli(['status', '--json']))).toEqual([])
  })

  it('names the variable, not a paste, for a bad value in the environment', async ({ makeWorld }) => {
    const world = await makeWorld({ providers: tidio })
    const run = await world.cli(['login', 'tidio'], { env: { TIDIO_CLIENT_ID: 'ci x', TIDIO_CLIENT_SECRET: 'cs' } })
    expectExit(run, 2)
    expect(run.stderr).toMatch(/TIDIO_CLIENT_ID contains white space/)
    expect(run.stderr).not.toMatch(/paste|CLIENT_ID:CLIENT_SECRET/)
  })

  it('names the variable and ./.env for a bad value in .env', async ({ makeWorld }) => {
    const world = await makeWorld({ providers: tidio })
    writeFileSync(join(world.home.home, '.env'), 'TIDIO_CLIENT_ID=ci_1\nTIDIO_CLIENT_SECRET="cs\nsecond line"\n', { mode: 0o600 })
    const run = await world.cli(['login', 'tidio'])
    expectExit(run, 2)
    expect(run.stderr).toMatch(/TIDIO_CLIENT_SECRET \(from \.\/\.env\) contains white space/)
    expect(run.stderr).not.toMatch(/paste|CLIENT_ID:CLIENT_SECRET/)
    expect(run.stderr).not.toContain('second line')
  })
})

describe('environment variables two configured providers share', SUITE, () => {
  /** `my-app` at the fake provider, `my.app` at another API: both map to MY_APP. */
  const twins = (fp: { url: string }) => {
    const entry = (api: string) => ({ authorization_endpoint: `${fp.url}/authorize`, token_endpoint: `${fp.url}/token`, api_base_url: api, client_id: 'c' })
    return { 'my-app': entry(`${fp.url}/api`), 'my.app': entry(`${fp.url}/api/other`) }
  }

  it('refuses OAUTH_CLI_MY_APP_TOKEN for either, naming both providers, with nothing sent', async ({ makeWorld }) => {
    const world = await makeWorld({ providers: twins })
    for (const provider of ['my-app', 'my.app']) {
      const run = await world.cli(['call', provider, '/x'], { env: { OAUTH_CLI_MY_APP_TOKEN: 'meant-for-my-app' } })
      expectExit(run, 2)
      expect(run.stderr).toMatch(/OAUTH_CLI_MY_APP_TOKEN/)
      expect(run.stderr).toMatch(/my-app/)
      expect(run.stderr).toMatch(/my\.app/)
    }
    expect(apiRequests(world.fp)).toEqual([])
  })

  it('refuses MY_APP_CLIENT_SECRET from the environment or .env for either, with nothing sent', async ({ makeWorld }) => {
    const world = await makeWorld({ providers: twins })
    const run = await world.cli(['login', 'my.app'], { env: { MY_APP_CLIENT_SECRET: 'secret-of-my-app' } })
    expectExit(run, 2)
    expect(run.stderr).toMatch(/MY_APP_CLIENT_SECRET/)
    expect(run.stderr).toMatch(/my-app/)
    expect(run.stderr).not.toContain('secret-of-my-app')
    writeFileSync(join(world.home.home, '.env'), 'MY_APP_CLIENT_ID=id-of-my-app\n', { mode: 0o600 })
    const fromDotenv = await world.cli(['login', 'my-app'])
    expectExit(fromDotenv, 2)
    expect(fromDotenv.stderr).toMatch(/MY_APP_CLIENT_ID \(from \.\/\.env\)/)
    expect(world.fp.requests).toEqual([])
  })
})

describe('more data handed in', SUITE, () => {
  it('authorize refuses a plain http: authorization URL off loopback (login --remote never makes one)', async ({ makeWorld }) => {
    const world = await makeWorld()
    const run = await authorize(world, { authorize_url: 'http://evil.example/authorize?x=1' })
    expectExit(run, 2)
    expect(run.stderr).toMatch(/not one this tool made \(unexpected URLs\)/)
    expect(run.stderr).not.toContain('evil.example')
  })

  it('login --with-token refuses input far too long to be a token before the stored one is replaced', async ({ makeWorld }) => {
    const world = await makeWorld()
    expectExit(await world.cli(['login', 'acme', '--with-token'], { stdin: 'good-token-1\n' }), 0)
    const run = await world.cli(['login', 'acme', '--with-token', '--force'], { stdin: 'A'.repeat(1024 * 1024) })
    expectExit(run, 2)
    expect(run.stderr).toMatch(/far too long to be a TOKEN/)
    const token = await world.cli(['token', 'acme'])
    expect(token.stdout.trim()).toBe('good-token-1')
  })
})
