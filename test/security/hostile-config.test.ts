/**
 * Attack (bug hunt, session 6): the config file names the endpoints refresh
 * tokens and client secrets are sent to, and it was read whatever it was. One
 * another user could write (owned by them, or group/world-writable) let them
 * point `token_endpoint` at their own server: the next `token` sent them the
 * stored refresh token and the client secret. A FIFO at its path hung every
 * command; `--config /dev/zero` read for ever. As SPEC says of the credential
 * files, such a file is refused with what to do, and nothing is sent.
 *
 * Tests run as root, which bypasses permission checks but not our own mode and
 * owner checks; "another user" is uid 65534.
 */
import { chmodSync, chownSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { securityHomes, type SecurityHome } from './support'

const OTHER_UID = 65534
const newHome = securityHomes()

/** A token endpoint of the attacker's, counting what reaches it. */
let attacker: { server: Server; url: string; bodies: string[] } | undefined
afterEach(async () => {
  await new Promise<void>((resolve) => (attacker ? attacker.server.close(() => resolve()) : resolve()))
  attacker = undefined
})
async function attackerServer(): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      bodies.push(body)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ access_token: 'attacker-access', token_type: 'Bearer', expires_in: 3600, refresh_token: 'attacker-refresh' }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  attacker = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies }
  return attacker
}

/** A home whose acme credential needs a refresh, and whose config points acme's token endpoint at `tokenEndpoint`. */
async function homeWithStaleAcme(tokenEndpoint: string): Promise<{ home: SecurityHome; config: string }> {
  const home = newHome()
  const config = home.writeConfig({
    providers: {
      acme: {
        authorization_endpoint: 'https://auth.example.com/authorize',
        token_endpoint: tokenEndpoint,
        api_base_url: 'https://api.example.com',
        client_id: 'acme-client',
        client_secret: 'acme-client-secret-9876',
        redirect_uri: 'http://127.0.0.1:0/callback',
      },
    },
  })
  const now = Date.now()
  await home.plant({
    version: 1,
    provider: 'acme',
    profile: 'default',
    kind: 'oauth',
    access_token: 'stale-access-token',
    token_type: 'Bearer',
    refresh_token: 'stored-refresh-token-12345',
    expires_at: new Date(now - 60_000).toISOString(),
    scope: [],
    client_id: 'acme-client',
    updated_at: new Date(now - 3600_000).toISOString(),
  })
  return { home, config }
}

describe.skipIf(process.platform === 'win32')('a config file that is not the user\'s file', () => {
  it.each([
    ['owned by another user', (path: string) => chownSync(path, OTHER_UID, OTHER_UID), 'is owned by uid 65534'],
    ['writable by every user', (path: string) => chmodSync(path, 0o666), 'is writable by every user (mode 666)'],
    ['writable by a group other than the user\'s own', (path: string) => (chownSync(path, 0, OTHER_UID), chmodSync(path, 0o664)), 'is writable by its group (mode 664)'],
  ])('one %s is refused: exit 2 naming it, and the stored refresh token goes nowhere', async (_what, spoil, said) => {
    const evil = await attackerServer()
    const { home, config } = await homeWithStaleAcme(`${evil.url}/token`)
    spoil(config)
    for (const args of [['token', 'acme'], ['refresh', 'acme'], ['status', 'acme']]) {
      const run = await home.cli(args)
      expect(run.exitCode, `${args.join(' ')}: ${run.stderr}`).toBe(2)
      expect(run.stdout).toBe('')
      expect(run.stderr).toContain(`refusing to read ${config}: it ${said.replace(/^is /, 'is ')}`)
      expect(run.stderr).not.toContain('stored-refresh-token-12345')
    }
    expect(evil.bodies).toEqual([])
  })

  it('a FIFO at the config path is refused at once instead of hanging', async () => {
    const { home, config } = await homeWithStaleAcme('https://auth.example.com/token')
    execFileSync('rm', [config])
    execFileSync('mkfifo', [config])
    const run = await home.cli(['token', 'acme'], {}, 15_000)
    expect(run.exitCode, run.stderr).toBe(2)
    expect(run.stderr).toContain(`refusing to read ${config}: it is not a regular file`)
  })

  it('--config /dev/zero is refused at once instead of reading for ever', async () => {
    const { home } = await homeWithStaleAcme('https://auth.example.com/token')
    const run = await home.cli(['token', 'acme', '--config', '/dev/zero'], {}, 15_000)
    expect(run.exitCode, run.stderr).toBe(2)
    expect(run.stderr).toContain('refusing to read /dev/zero: it is not a regular file')
  })

  it('the user\'s own file, private or readable by others (0644), is read as before', async () => {
    const { home, config } = await homeWithStaleAcme('https://auth.example.com/token')
    chmodSync(config, 0o644)
    const run = await home.cli(['status', 'acme', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject([{ provider: 'acme' }])
  })
})
