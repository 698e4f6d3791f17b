#!/usr/bin/env node
/**
 * The `$BROWSER` of the end-to-end tests: behaves like a user who approves at
 * once. It GETs the authorization URL without following redirects, then GETs
 * the Location (the loopback callback) and waits for that response, which the
 * CLI's listener holds until the code exchange is done.
 *
 * Usage: browser-follow.mjs [--wrong-state-first] [--log <file>] <url>
 *   --wrong-state-first  first GET the callback with a wrong state and a bogus code
 *                        (the listener must answer 400 and keep waiting)
 *   --log <file>         append one line per step (also: env FOLLOW_LOG)
 * The log names hosts, paths and statuses only: never a query string, so no code or state.
 */
import { appendFileSync } from 'node:fs'

const args = process.argv.slice(2)
const url = args.at(-1)
const wrongStateFirst = args.includes('--wrong-state-first')
const logIndex = args.indexOf('--log')
const logFile = logIndex >= 0 ? args[logIndex + 1] : process.env.FOLLOW_LOG
const signal = AbortSignal.timeout(Number(process.env.FOLLOW_TIMEOUT_MS ?? 15_000))

const started = Date.now()

function log(line) {
  if (logFile) appendFileSync(logFile, `${line} (+${Date.now() - started} ms)\n`)
}

function describe(u) {
  const parsed = new URL(u)
  return `${parsed.origin}${parsed.pathname}`
}

async function get(u) {
  const res = await fetch(u, { redirect: 'manual', signal })
  await res.arrayBuffer()
  return res
}

async function main() {
  if (!url) throw new Error('usage: browser-follow.mjs [--wrong-state-first] [--log <file>] <url>')
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

main().then(
  (code) => {
    process.exitCode = code
  },
  (err) => {
    log(`error ${err?.name ?? 'Error'}`)
    process.stderr.write(`browser-follow: ${err?.name ?? 'error'}\n`)
    process.exitCode = 1
  },
)
