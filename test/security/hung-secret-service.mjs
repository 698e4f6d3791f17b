// A Secret Service that hangs: owns org.freedesktop.secrets on the session bus
// (DBUS_SESSION_BUS_ADDRESS, unix:path=…) and never answers a call, not even
// Peer.Ping. Prints "ready" once it owns the name. Used by hung-keychain.test.ts.
import { connect } from 'node:net'
const addr = process.env.DBUS_SESSION_BUS_ADDRESS
const path = /unix:path=([^,;]+)/.exec(addr)[1]
const pad = (b, n) => Buffer.concat([b, Buffer.alloc((n - (b.length % n)) % n)])
function field(code, sig, value) {
  const t = Buffer.from(value)
  const len = Buffer.alloc(4); len.writeUInt32LE(t.length)
  return Buffer.concat([Buffer.from([code, 1, sig.charCodeAt(0), 0]), len, t, Buffer.from([0])])
}
function msg(serial, member, body, signature) {
  const fs = [field(1, 'o', '/org/freedesktop/DBus'), field(2, 's', 'org.freedesktop.DBus'), field(3, 's', member), field(6, 's', 'org.freedesktop.DBus')]
  if (signature) { const s = Buffer.from(signature); fs.push(Buffer.concat([Buffer.from([8, 1, 0x67, 0, s.length]), s, Buffer.from([0])])) }
  let arr = Buffer.alloc(0)
  for (const f of fs) arr = Buffer.concat([pad(arr, 8), f])
  const fixed = Buffer.alloc(16); fixed.write('l', 0); fixed[1] = 1; fixed[3] = 1
  fixed.writeUInt32LE(body.length, 4); fixed.writeUInt32LE(serial, 8); fixed.writeUInt32LE(arr.length, 12)
  return Buffer.concat([pad(Buffer.concat([fixed, arr]), 8), body])
}
const s = connect(path)
s.on('connect', () => {
  s.write(Buffer.concat([Buffer.from([0]), Buffer.from(`AUTH EXTERNAL ${Buffer.from(String(process.getuid())).toString('hex')}\r\n`)]))
})
let stage = 0
s.on('data', (d) => {
  if (stage === 0 && d.toString('latin1').startsWith('OK')) {
    stage = 1
    const name = Buffer.from('org.freedesktop.secrets')
    const len = Buffer.alloc(4); len.writeUInt32LE(name.length)
    const flags = Buffer.alloc(4); flags.writeUInt32LE(4)
    const body = Buffer.concat([pad(Buffer.concat([len, name, Buffer.from([0])]), 4), flags])
    s.write(Buffer.concat([Buffer.from('BEGIN\r\n'), msg(1, 'Hello', Buffer.alloc(0)), msg(2, 'RequestName', body, 'su')]))
  }
  // The RequestName reply (serial 2) says whether the name is ours: 1 = primary owner.
  if (stage === 1 && d.includes(Buffer.from('org.freedesktop.secrets'))) {
    stage = 2
    console.log('ready')
  }
})
setInterval(() => {}, 1000)
