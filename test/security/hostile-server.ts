/**
 * A hostile authorization server for the security tests: it answers the device
 * authorization and token endpoints with whatever the test scripts, on 127.0.0.1.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { it as worldIt } from '../e2e/world'

export interface ScriptedReply {
  status: number
  body: unknown
}

export interface HostileServer {
  url: string
  /** Requests received, as `METHOD /path`. */
  seen: string[]
  close(): Promise<void>
}

export async function startHostileServer(routes: Record<string, ScriptedReply>): Promise<HostileServer> {
  const seen: string[] = []
  const server = createServer((req: IncomingMessage, res) => {
    req.resume()
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!
      seen.push(`${req.method} ${path}`)
      const reply = routes[path] ?? { status: 404, body: { error: 'not_found' } }
      res.writeHead(reply.status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** ESC, BEL, CR, C1 CSI and a bidi override: none of them may reach the terminal raw. */
export const RAW_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

/**
 * The e2e `it` plus a `startHostile` fixture: every hostile server a test
 * starts is closed when that test ends (correct under concurrent tests too).
 */
export const it = worldIt.extend<{ startHostile: (routes: Record<string, ScriptedReply>) => Promise<HostileServer> }>({
  // eslint-disable-next-line no-empty-pattern
  startHostile: async ({}, use) => {
    const servers: HostileServer[] = []
    await use(async (routes) => {
      const server = await startHostileServer(routes)
      servers.push(server)
      return server
    })
    await Promise.all(servers.map((s) => s.close()))
  },
})
