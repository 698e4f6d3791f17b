/**
 * HTTPS in front of a plain loopback server, for end-to-end tests of the
 * built-in providers: a private CA made here (openssl, EC keys: fast), a leaf
 * for localhost / 127.0.0.1, and a TLS terminator on 127.0.0.1 (port 0) that
 * passes the plain bytes to the fake provider. The CLI trusts the CA with --cacert.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls'

export interface Pki {
  dir: string
  caFile: string
  key: string
  cert: string
  /** Another leaf from the same CA, for these subjectAltName entries (e.g. `DNS:db.example.test`). */
  issue(names: string[]): { key: string; cert: string }
  remove(): void
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-cli-pki-'))
  const file = (name: string): string => join(dir, name)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  const run = (args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' })
  run(['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=oauth-cli test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  let serial = 0
  const issue = (names: string[]): { key: string; cert: string } => {
    const leaf = `leaf-${serial++}`
    run(['req', ...ec, '-keyout', file(`${leaf}.key`), '-out', file(`${leaf}.csr`), '-subj', `/CN=${(names[0] ?? '').replace(/^\w+:/, '')}`])
    writeFileSync(file(`${leaf}.ext`), `subjectAltName=${names.join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`)
    run(['x509', '-req', '-in', file(`${leaf}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
      '-out', file(`${leaf}.pem`), '-days', '2', '-extfile', file(`${leaf}.ext`)])
    return { key: readFileSync(file(`${leaf}.key`), 'utf8'), cert: readFileSync(file(`${leaf}.pem`), 'utf8') }
  }
  const loopback = issue(['DNS:localhost', 'IP:127.0.0.1'])
  return {
    dir,
    caFile: file('ca.pem'),
    ...loopback,
    issue,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

export interface TlsFront {
  /** `https://localhost:<port>` */
  url: string
  close(): Promise<void>
}

/** Terminates TLS and pipes each connection to 127.0.0.1:`upstreamPort`. */
export async function startTlsFront(pki: Pki, upstreamPort: number): Promise<TlsFront> {
  const sockets = new Set<Socket>()
  const track = (socket: Socket): Socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    return socket
  }
  const server: TlsServer = createTlsServer({ key: pki.key, cert: pki.cert }, (tlsSocket) => {
    const upstream = track(connect(upstreamPort, '127.0.0.1'))
    track(tlsSocket)
    tlsSocket.on('error', () => upstream.destroy())
    upstream.on('error', () => tlsSocket.destroy())
    tlsSocket.pipe(upstream).pipe(tlsSocket)
  })
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `https://localhost:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
