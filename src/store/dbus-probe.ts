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

/** The Secret Service's well-known name (what the keychain library talks to). */
const SECRETS = 'org.freedesktop.secrets'

/**
 * What a check of the keychain's way in found. `timedOut`: it did not answer
 * in time (asked again sooner), as opposed to not being there at all; said by
 * the check itself, never read back from the wording of `reason`.
 */
export type ProbeResult = { ok: true } | { ok: false; reason: string; timedOut: boolean }

/**
 * Resolves ok when the bus completes the handshake, answers Hello, and the
 * Secret Service answers a Peer.Ping (which every D-Bus connection answers by
 * itself; the bus starts an activatable service for it), all within `timeoutMs`.
 * Without this last step a Secret Service that never answers blocks the
 * keychain library's own calls on the main thread.
 */
export async function checkSessionBus(
  address: BusAddress,
  uid: number | undefined,
  timeoutMs: number,
): Promise<ProbeResult> {
  const { connect } = await import('node:net')
  return new Promise((resolve) => {
    const socket = address.kind === 'unix' ? connect({ path: address.path }) : connect({ host: address.host, port: address.port })
    let stage: 'connect' | 'auth' | 'hello' | 'ping' = 'connect'
    let received = Buffer.alloc(0)
    const finish = (result: ProbeResult): void => {
      clearTimeout(timer)
      socket.removeAllListeners('data')
      socket.removeAllListeners('close')
      socket.on('error', () => undefined)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(() => {
      const what = {
        connect: 'the D-Bus session bus did not accept the connection',
        auth: 'the D-Bus session bus did not answer the authentication',
        hello: 'the D-Bus session bus did not answer Hello',
        ping: `the Secret Service (${SECRETS}) did not answer`,
      }[stage]
      finish({ ok: false, reason: `${what} within ${timeoutMs} ms`, timedOut: true })
    }, timeoutMs)
    socket.on('error', (err: NodeJS.ErrnoException) => {
      finish({ ok: false, reason: `cannot connect to the D-Bus session bus: ${err.code ?? err.message}`, timedOut: false })
    })
    socket.on('close', () => finish({ ok: false, reason: 'the D-Bus session bus closed the connection during the handshake', timedOut: false }))
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
          finish({ ok: false, reason: `the D-Bus session bus refused the authentication (${line.slice(0, 60).replace(/[^\x20-\x7e]/g, '?')})`, timedOut: false })
          return
        }
        received = received.subarray(end + 2)
        stage = 'hello'
        socket.write(Buffer.concat([
          Buffer.from('BEGIN\r\n', 'ascii'),
          methodCall(1, { path: '/org/freedesktop/DBus', iface: 'org.freedesktop.DBus', member: 'Hello', destination: 'org.freedesktop.DBus' }),
          methodCall(2, { path: '/', iface: 'org.freedesktop.DBus.Peer', member: 'Ping', destination: SECRETS }),
        ]))
      }
      for (let message = takeMessage(); message; message = takeMessage()) {
        if (message.replySerial === 1) {
          if (message.type !== 2) return finish({ ok: false, reason: `the D-Bus session bus refused Hello (${message.errorName ?? 'no reason'})`, timedOut: false })
          stage = 'ping'
        } else if (message.replySerial === 2) {
          if (message.type === 2) return finish({ ok: true })
          const why = message.errorName === 'org.freedesktop.DBus.Error.ServiceUnknown' || message.errorName === 'org.freedesktop.DBus.Error.NameHasNoOwner'
            ? `no Secret Service (${SECRETS}) on the D-Bus session bus`
            : `the Secret Service answered the Ping with an error (${message.errorName ?? 'no name'})`
          return finish({ ok: false, reason: why, timedOut: false })
        }
      }
    })

    /** The next whole message from `received`, if one is there (little- or big-endian). */
    function takeMessage(): { type: number; replySerial?: number; errorName?: string } | undefined {
      if (stage !== 'hello' && stage !== 'ping') return undefined
      if (received.length < 16) return undefined
      const little = received[0] === 0x6c
      const u32 = (at: number): number => (little ? received.readUInt32LE(at) : received.readUInt32BE(at))
      const bodyLength = u32(4)
      const fieldsLength = u32(12)
      const headerEnd = 16 + fieldsLength
      const total = headerEnd + ((8 - (headerEnd % 8)) % 8) + bodyLength
      if (received.length < total) return undefined
      const message: { type: number; replySerial?: number; errorName?: string } = { type: received[1] ?? 0 }
      // Header fields: a(yv), each struct 8-aligned; we read REPLY_SERIAL (5, u) and ERROR_NAME (4, s).
      let at = 16
      while (at < headerEnd) {
        at += (8 - (at % 8)) % 8
        if (at >= headerEnd) break
        const code = received[at] ?? 0
        const sigLength = received[at + 1] ?? 0
        const signature = received.subarray(at + 2, at + 2 + sigLength).toString('latin1')
        at += 2 + sigLength + 1
        if (signature === 'u' || signature === 'i') {
          at += (4 - (at % 4)) % 4
          if (code === 5) message.replySerial = u32(at)
          at += 4
        } else if (signature === 's' || signature === 'o') {
          at += (4 - (at % 4)) % 4
          const length = u32(at)
          if (code === 4) message.errorName = received.subarray(at + 4, at + 4 + length).toString('utf8')
          at += 4 + length + 1
        } else if (signature === 'g') {
          at += 1 + (received[at] ?? 0) + 1
        } else {
          break // a field type we never need; the rest of this header is skipped
        }
      }
      received = received.subarray(total)
      return message
    }
  })
}

/** A method call with no body, little-endian. */
function methodCall(serial: number, to: { path: string; iface: string; member: string; destination: string }): Buffer {
  const fields: Buffer[] = []
  const field = (code: number, signature: 's' | 'o', value: string): void => {
    const text = Buffer.from(value, 'utf8')
    const length = Buffer.alloc(4)
    length.writeUInt32LE(text.length)
    fields.push(Buffer.concat([Buffer.from([code, 1, signature.charCodeAt(0), 0]), length, text, Buffer.from([0])]))
  }
  field(1, 'o', to.path)
  field(2, 's', to.iface)
  field(3, 's', to.member)
  field(6, 's', to.destination)
  // Each struct in the array starts 8-aligned (relative to the message start, which the 16-byte fixed part keeps).
  let array = Buffer.alloc(0)
  for (const f of fields) array = Buffer.concat([array, Buffer.alloc((8 - (array.length % 8)) % 8), f])
  const fixed = Buffer.alloc(16)
  fixed.write('l', 0, 'ascii')
  fixed[1] = 1 // METHOD_CALL
  fixed[3] = 1 // protocol version
  fixed.writeUInt32LE(0, 4) // body length
  fixed.writeUInt32LE(serial, 8)
  fixed.writeUInt32LE(array.length, 12)
  const header = Buffer.concat([fixed, array])
  return Buffer.concat([header, Buffer.alloc((8 - (header.length % 8)) % 8)])
}
