/**
 * A refresh whose answer comes after a writer that took no lock (`import`)
 * stored a newer credential: the newer one stays and is what `token` prints,
 * and the tokens the refresh was issued are not dropped but rescued to a 0600
 * emergency file, named in one line on stderr. Through the built binary: the
 * token endpoint is a loopback pass-through that holds the refresh's request
 * until the import is done.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { readFileSync, statSync } from 'node:fs'
import { describe, expect } from 'vitest'
import { decodeBundle, encodeBundle } from '../../src/session/bundle'
import { expectExit, it, last, loginAcme, SUITE } from './world'

/** Forwards token requests to `target`; once armed, holds the next one until `release`. */
async function startGate(target: () => string) {
  let armed = false
  let held: (() => void) | undefined
  let arrive!: () => void
  const arrived = new Promise<void>((resolve) => (arrive = resolve))
  const forward = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    const answer = await fetch(target(), {
      method: 'POST',
      headers: { 'content-type': String(req.headers['content-type']), authorization: String(req.headers.authorization ?? '') },
      body,
    })
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text())
  }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      if (!armed) return void forward(req, res, body)
      armed = false
      held = () => void forward(req, res, body)
      arrive()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/token`,
    arm: () => void (armed = true),
    arrived,
    release: () => held?.(),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

describe('a refresh that finds a newer credential stored meanwhile', SUITE, () => {
  it('keeps and prints the newer one, and rescues its own new tokens to a 0600 file it names', async ({ makeWorld }) => {
    let target = ''
    const gate = await startGate(() => target)
    try {
      const world = await makeWorld({ provider: { accessTokenTtl: 0 }, acme: { token_endpoint: gate.url } })
      target = `${world.fp.url}/token`
      await loginAcme(world)
      world.fp.setAccessTokenTtl(3600)
      const exported = await world.cli(['export', 'acme'])
      expectExit(exported, 0)
      const decoded = decodeBundle(exported.stdout)
      if (!decoded.ok) throw new Error(decoded.reason)
      const newer = { ...decoded.credential, access_token: 'imported-access-token', refresh_token: 'imported-refresh-token', expires_at: new Date(Date.now() + 7200_000).toISOString() }

      gate.arm()
      const refreshing = world.spawn(['token', 'acme'])
      await gate.arrived
      expectExit(await world.cli(['import'], { stdin: `${encodeBundle(newer)}\n` }), 0)
      gate.release()
      const run = await refreshing.exited

      expectExit(run, 0)
      expect(run.stdout).toBe('imported-access-token\n')
      const issued = last(world.fp.issuedRefreshTokens())
      expect(run.stderr).not.toContain(issued)
      const lines = run.stderr.split('\n').filter((line) => line !== '')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/acme \(profile default\) was replaced while this refresh ran/)
      const path = /written to (\S+) \(mode 0600/.exec(lines[0]!)?.[1]
      expect(path).toBeDefined()
      expect(statSync(path!).mode & 0o777).toBe(0o600)
      const rescued = decodeBundle(readFileSync(path!, 'utf8'))
      expect(rescued.ok && rescued.credential.refresh_token).toBe(issued)
      expect(world.fp.isTokenActive(issued)).toBe(true)
      // The newer credential is what stays stored.
      const after = await world.cli(['token', 'acme'])
      expectExit(after, 0)
      expect(after.stdout).toBe('imported-access-token\n')
    } finally {
      await gate.close()
    }
  })
})
