/**
 * Whether the D-Bus session bus answers, checked before anything touches the
 * Secret Service: `@napi-rs/keyring` connects synchronously on the main thread
 * (`new AsyncEntry`), so a bus that accepts and never answers would freeze the
 * process with every timer. Here the check is ours, asynchronous and bounded:
 * connect, `AUTH EXTERNAL <uid>`, `BEGIN`, then `org.freedesktop.DBus.Hello`,
 * whose reply proves the bus is alive.
 * @see https://dbus.freedesktop.org/doc/dbus-specification.html#auth-protocol
 * @see https://dbus.freedesktop.org/doc/dbus-specification.html#message-protocol-messages
 */
import { join } from 'node:path'

export type BusAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number }

/**
 * Where the session bus is: `DBUS_SESSION_BUS_ADDRESS` (the first transport we
 * can speak), else the default `$XDG_RUNTIME_DIR/bus` or `/run/user/<uid>/bus`
 * when that socket exists. `none` means there is no bus to ask, `unsupported`
 * an address we cannot check (left to the keychain library, with its timeout).
 */
export function findSessionBus(
  env: Readonly<Record<string, string | undefined>>,
  uid: number | undefined,
  exists: (path: string) => boolean,
): { kind: 'found'; address: BusAddress; shown: string } | { kind: 'none'; reason: string } | { kind: 'unsupported' } {
  const raw = env.DBUS_SESSION_BUS_ADDRESS
  if (raw) {
    for (const entry of raw.split(';')) {
      const address = parseAddress(entry)
      if (address) return { kind: 'found', address, shown: entry }
    }
    return { kind: 'unsupported' }
  }
  const candidates = [env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'bus') : undefined, uid === undefined ? undefined : `/run/user/${uid}/bus`]
  for (const path of candidates) {
    if (path && exists(path)) return { kind: 'found', address: { kind: 'unix', path }, shown: `unix:path=${path}` }
  }
  return { kind: 'none', reason: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set and no $XDG_RUNTIME_DIR/bus)' }
}

function parseAddress(entry: string): BusAddress | undefined {
  const colon = entry.indexOf(':')
  if (colon < 0) return undefined
  const transport = entry.slice(0, colon)
  const keys = new Map<string, string>()
  for (const pair of entry.slice(colon + 1).split(',')) {
    const eq = pair.indexOf('=')
    if (eq > 0) keys.set(pair.slice(0, eq), safeDecode(pair.slice(eq + 1)))
  }
  if (transport === 'unix') {
    const path = keys.get('path')
    if (path) return { kind: 'unix', path }
    const abstract = keys.get('abstract')
    // Linux abstract sockets: node takes them as a path starting with NUL.
    if (abstract) return { kind: 'unix', path: `\0${abstract}` }
    return undefined
  }
  if (transport === 'tcp') {
    const port = Number(keys.get('port'))
    if (Number.isInteger(port) && port > 0 && port < 65536) return { kind: 'tcp', host: keys.get('host') ?? 'localhost', port }
  }
  return undefined
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** Resolves ok when the bus completes the handshake and answers Hello within `timeoutMs`. */
export async function checkSessionBus(
  address: BusAddress,
  uid: number | undefined,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { connect } = await import('node:net')
  return new Promise((resolve) => {
    const socket = address.kind === 'unix' ? connect({ path: address.path }) : connect({ host: address.host, port: address.port })
    let stage: 'connect' | 'auth' | 'hello' = 'connect'
    let received = Buffer.alloc(0)
    const finish = (result: { ok: true } | { ok: false; reason: string }): void => {
      clearTimeout(timer)
      socket.removeAllListeners('data')
      socket.removeAllListeners('close')
      socket.on('error', () => undefined)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(() => {
      const what = stage === 'connect' ? 'accept the connection' : stage === 'auth' ? 'answer the authentication' : 'answer Hello'
      finish({ ok: false, reason: `the D-Bus session bus did not ${what} within ${timeoutMs} ms` })
    }, timeoutMs)
    socket.on('error', (err: NodeJS.ErrnoException) => {
      finish({ ok: false, reason: `cannot connect to the D-Bus session bus: ${err.code ?? err.message}` })
    })
    socket.on('close', () => finish({ ok: false, reason: 'the D-Bus session bus closed the connection during the handshake' }))
    socket.on('connect', () => {
      stage = 'auth'
      const id = Buffer.from(String(uid ?? 0), 'ascii').toString('hex')
      socket.write(Buffer.concat([Buffer.from([0]), Buffer.from(`AUTH EXTERNAL ${id}\r\n`, 'ascii')]))
    })
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      if (stage === 'auth') {
        const end = received.indexOf('\r\n')
        if (end < 0) return
        const line = received.subarray(0, end).toString('latin1')
        if (!line.startsWith('OK ')) {
          finish({ ok: false, reason: `the D-Bus session bus refused the authentication (${line.slice(0, 60).replace(/[^\x20-\x7e]/g, '?')})` })
          return
        }
        received = received.subarray(end + 2)
        stage = 'hello'
        socket.write(Buffer.concat([Buffer.from('BEGIN\r\n', 'ascii'), helloMessage()]))
      }
      // Any whole message header back: a METHOD_RETURN (2) or an ERROR (3) both prove the bus answers.
      if (stage === 'hello' && received.length >= 16) {
        const type = received[1]
        finish(type === 2 || type === 3 || type === 4 ? { ok: true } : { ok: false, reason: 'the D-Bus session bus answered Hello with something else' })
      }
    })
  })
}

/** `org.freedesktop.DBus.Hello()`, little-endian, serial 1, no body. */
function helloMessage(): Buffer {
  const fields: Buffer[] = []
  const field = (code: number, signature: 's' | 'o', value: string): void => {
    const text = Buffer.from(value, 'utf8')
    const head = Buffer.from([code, 1, signature.charCodeAt(0), 0])
    const length = Buffer.alloc(4)
    length.writeUInt32LE(text.length)
    const entry = Buffer.concat([head, length, text, Buffer.from([0])])
    fields.push(Buffer.concat([entry, Buffer.alloc((8 - (entry.length % 8)) % 8)]))
  }
  field(1, 'o', '/org/freedesktop/DBus')
  field(2, 's', 'org.freedesktop.DBus')
  field(3, 's', 'Hello')
  field(6, 's', 'org.freedesktop.DBus')
  // The last struct needs no padding after it inside the array; the header as a whole is padded to 8.
  const last = fields.pop() as Buffer
  const unpadded = Buffer.concat([...fields, trimPadding(last)])
  const fixed = Buffer.alloc(16)
  fixed.write('l', 0, 'ascii')
  fixed[1] = 1 // METHOD_CALL
  fixed[2] = 0
  fixed[3] = 1 // protocol version
  fixed.writeUInt32LE(0, 4) // body length
  fixed.writeUInt32LE(1, 8) // serial
  fixed.writeUInt32LE(unpadded.length, 12) // header fields array length
  const header = Buffer.concat([fixed, unpadded])
  return Buffer.concat([header, Buffer.alloc((8 - (header.length % 8)) % 8)])
}

function trimPadding(entry: Buffer): Buffer {
  // entry = [code, 1, sig, 0, len32, text..., 0, padding...]; its length without padding is 8 + text + 1.
  const textLength = entry.readUInt32LE(4)
  return entry.subarray(0, 8 + textLength + 1)
}
