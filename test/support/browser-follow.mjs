#!/usr/bin/env node
/**
 * The `$BROWSER` of the end-to-end tests: behaves like a user who approves at
 * once. It never shows a page; it sends the GETs a browser would.
 *
 * Usage: browser-follow.mjs [--all] [--wrong-state-first] [--log <file>] <url>
 *   (default)            GET the authorization URL without following redirects,
 *                        then GET its Location (the loopback callback) and wait
 *                        for that response, which the CLI's listener holds until
 *                        the code exchange is done. Exit 0 once it answers.
 *   --all                for servers whose approval is a chain of redirects
 *                        (oidc-provider: authorize → interaction → resume →
 *                        callback): GET every Location, keeping cookies per host
 *                        and path, until a response is not a redirect. Exit 0
 *                        when that last response is a 2xx.
 *   --wrong-state-first  first GET the callback with a wrong state and a bogus code
 *                        (the listener must answer 400 and keep waiting)
 *   --log <file>         append one line per step (also: env FOLLOW_LOG)
 * The log names hosts, paths and statuses only: never a query string, so no code or state.
 */
import { appendFileSync } from 'node:fs'

const MAX_HOPS = 10
const args = process.argv.slice(2)
const url = args.at(-1)
const followAll = args.includes('--all')
const wrongStateFirst = args.includes('--wrong-state-first')
const logIndex = args.indexOf('--log')
const logFile = logIndex >= 0 ? args[logIndex + 1] : process.env.FOLLOW_LOG
const signal = AbortSignal.timeout(Number(process.env.FOLLOW_TIMEOUT_MS ?? 15_000))
const name = followAll ? 'browser-follow --all' : 'browser-follow'

const started = Date.now()
/** "host name" → { value, path } */
const jar = new Map()

/** One line a step; the two-step mode adds the time since start. */
function log(line) {
  if (logFile) appendFileSync(logFile, followAll ? `${line}\n` : `${line} (+${Date.now() - started} ms)\n`)
}

function describe(u) {
  const parsed = new URL(u)
  return `${parsed.origin}${parsed.pathname}`
}

function cookieHeader(target) {
  const pairs = []
  for (const [key, cookie] of jar) {
    const [host, cookieName] = key.split(' ')
    if (host === target.host && target.pathname.startsWith(cookie.path)) pairs.push(`${cookieName}=${cookie.value}`)
  }
  return pairs.join('; ')
}

function storeCookies(target, res) {
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';').map((s) => s.trim())
    const eq = pair.indexOf('=')
    const key = `${target.host} ${pair.slice(0, eq)}`
    const value = pair.slice(eq + 1)
    const attr = (n) => attributes.find((a) => a.toLowerCase().startsWith(`${n}=`))?.slice(n.length + 1)
    const expires = attr('expires')
    if (!value || (expires !== undefined && Date.parse(expires) <= Date.now())) jar.delete(key)
    else jar.set(key, { value, path: attr('path') ?? '/' })
  }
}

async function get(u) {
  const target = new URL(u)
  const cookie = cookieHeader(target)
  const res = await fetch(target, { redirect: 'manual', signal, headers: cookie ? { cookie } : {} })
  await res.arrayBuffer()
  storeCookies(target, res)
  return res
}

/** --all: every hop, until a response is not a redirect. */
async function followChain() {
  let target = new URL(url)
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const res = await get(target)
    log(`${res.status} ${describe(target)}`)
    const location = res.headers.get('location')
    if (res.status < 300 || res.status >= 400 || !location) return res.ok ? 0 : 1
    target = new URL(location, target)
  }
  log(`more than ${MAX_HOPS} redirects`)
  return 1
}

/** The default: the authorize redirect, then the callback. */
async function approveOnce() {
  log(`open ${describe(url)}`)
  const authorize = await get(url)
  const location = authorize.headers.get('location')
  log(`authorize ${authorize.status}`)
  if (authorize.status < 300 || authorize.status >= 400 || !location) return 1
  const callback = new URL(location, url)
  if (wrongStateFirst) {
    const forged = new URL(callback)
    forged.searchParams.set('state', 'not-the-right-state')
    forged.searchParams.set('code', 'forged-code')
    const res = await get(forged)
    log(`wrong-state ${res.status}`)
  }
  log(`callback ${describe(callback)}`)
  const res = await get(callback)
  log(`callback ${res.status}`)
  return 0
}

async function main() {
  if (!url || url.startsWith('--')) throw new Error('usage: browser-follow.mjs [--all] [--wrong-state-first] [--log <file>] <url>')
  return followAll ? followChain() : approveOnce()
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err) => {
    log(`error ${err?.name ?? 'Error'}`)
    process.stderr.write(`${name}: ${err?.name ?? 'error'}\n`)
    process.exitCode = 1
  },
)
