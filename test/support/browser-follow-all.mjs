#!/usr/bin/env node
/**
 * A `$BROWSER` for authorization servers whose approval is a chain of redirects
 * (oidc-provider with self-finishing interactions: authorize → interaction →
 * resume → loopback callback). It GETs the URL and every Location after it,
 * keeping cookies per host and path as a browser would, until a response is
 * not a redirect. The last GET (the CLI's callback) is held until the code
 * exchange is done, so exit status 0 means the chain ended in a 2xx.
 *
 * Usage: browser-follow-all.mjs [--log <file>] <url>
 *   --log <file>  append one line per hop (also: env FOLLOW_LOG): host, path and
 *                 status only, never a query string, so no code or state.
 */
import { appendFileSync } from 'node:fs'

const MAX_HOPS = 10
const args = process.argv.slice(2)
const url = args.at(-1)
const logIndex = args.indexOf('--log')
const logFile = logIndex >= 0 ? args[logIndex + 1] : process.env.FOLLOW_LOG
const signal = AbortSignal.timeout(Number(process.env.FOLLOW_TIMEOUT_MS ?? 15_000))
/** "host name" → { value, path } */
const jar = new Map()

function log(line) {
  if (logFile) appendFileSync(logFile, `${line}\n`)
}

function cookieHeader(target) {
  const pairs = []
  for (const [key, cookie] of jar) {
    const [host, name] = key.split(' ')
    if (host === target.host && target.pathname.startsWith(cookie.path)) pairs.push(`${name}=${cookie.value}`)
  }
  return pairs.join('; ')
}

function storeCookies(target, res) {
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';').map((s) => s.trim())
    const eq = pair.indexOf('=')
    const key = `${target.host} ${pair.slice(0, eq)}`
    const value = pair.slice(eq + 1)
    const attr = (name) => attributes.find((a) => a.toLowerCase().startsWith(`${name}=`))?.slice(name.length + 1)
    const expires = attr('expires')
    if (!value || (expires !== undefined && Date.parse(expires) <= Date.now())) jar.delete(key)
    else jar.set(key, { value, path: attr('path') ?? '/' })
  }
}

async function get(target) {
  const cookie = cookieHeader(target)
  const res = await fetch(target, { redirect: 'manual', signal, headers: cookie ? { cookie } : {} })
  await res.arrayBuffer()
  storeCookies(target, res)
  log(`${res.status} ${target.origin}${target.pathname}`)
  return res
}

async function main() {
  if (!url) throw new Error('usage: browser-follow-all.mjs [--log <file>] <url>')
  let target = new URL(url)
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const res = await get(target)
    const location = res.headers.get('location')
    if (res.status < 300 || res.status >= 400 || !location) return res.ok ? 0 : 1
    target = new URL(location, target)
  }
  log(`more than ${MAX_HOPS} redirects`)
  return 1
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err) => {
    log(`error ${err?.name ?? 'Error'}`)
    process.stderr.write(`browser-follow-all: ${err?.name ?? 'error'}\n`)
    process.exitCode = 1
  },
)
