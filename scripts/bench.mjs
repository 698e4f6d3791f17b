#!/usr/bin/env node
// The benchmark of issue 14: start-up, requests, big bodies and pagination,
// measured in a CLEAN environment by default (only PATH, HOME, the XDG dirs and
// OAUTH_CLI_STORE=file), because variables such as NODE_EXTRA_CA_CERTS slow
// every Node process and hide the tool's own cost. Timed cases run as whole
// processes, interleaved with their baseline (pairs), and only ratios of
// medians measured in this run are reported, never absolute times.
//
//   npm run bench                     # build, measure, print, update README's table
//   PAIRS=41 npm run bench            # steadier numbers (21 pairs by default)
//   BENCH_INHERIT_ENV=1 npm run bench # in the caller's environment instead
//   node scripts/bench.mjs --no-readme --only=token,call
//
// To add a case, append to CASES: a `run` (argv for the CLI, or a custom runner)
// and the baseline it is compared with. See `token (fresh)` for the simplest.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'bin', 'oauth-cli.cjs')
const PAIRS = Math.max(1, Number(process.env.PAIRS ?? 21))
const HEAVY_ROUNDS = Math.max(1, Number(process.env.HEAVY_ROUNDS ?? 3))
const WARMUP = 2
const args = process.argv.slice(2)
const writeReadme = !args.includes('--no-readme')
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',')
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
const CURL = ['/usr/bin/curl', '/usr/local/bin/curl', '/bin/curl'].find((p) => existsSync(p))

const BIG_BYTES = 200 * 1024 * 1024
const PAGE_ITEMS = 100_000
const PAGE_SIZE = 1000

// ---------------------------------------------------------------- environment
const home = mkdtempSync(join(tmpdir(), 'oauth-cli-bench-'))
/**
 * What a Ctrl-C or a kill must still undo (it skips the `finally` at the end):
 * the temp home, and the private PostgreSQL cluster once it exists.
 */
const onSignal = [() => rmSync(home, { recursive: true, force: true })]
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    for (const undo of onSignal.reverse()) {
      try {
        undo()
      } catch {}
    }
    process.exit(128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal])
  })
}
const KEPT = ['PATH']
const inherit = Boolean(process.env.BENCH_INHERIT_ENV)
const env = {
  ...(inherit ? process.env : Object.fromEntries(KEPT.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]))),
  HOME: home,
  XDG_CONFIG_HOME: join(home, 'config'),
  XDG_DATA_HOME: join(home, 'data'),
  XDG_STATE_HOME: join(home, 'state'),
  XDG_CACHE_HOME: join(home, 'cache'),
  OAUTH_CLI_STORE: 'file',
}
const cleared = inherit ? [] : Object.keys(process.env).filter((k) => !(k in env)).sort()

// ---------------------------------------------------------------- the server
const bigChunk = Buffer.alloc(1024 * 1024, 'x')
let pagesServed = 0
const item = (i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'], active: i % 2 === 0 })
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1')
  if (url.pathname === '/token') {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(JSON.stringify({ access_token: 'bench-access-token-2', token_type: 'Bearer', expires_in: 3600, refresh_token: 'bench-refresh-token' }))
    })
    return
  }
  if (url.pathname === '/big') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG_BYTES })
    let sent = 0
    const pump = () => {
      while (sent < BIG_BYTES) {
        sent += bigChunk.length
        if (!res.write(bigChunk)) return void res.once('drain', pump)
      }
      res.end()
    }
    pump()
    return
  }
  if (url.pathname === '/items') {
    const page = Number(url.searchParams.get('page') ?? 1)
    pagesServed = page
    const pages = PAGE_ITEMS / PAGE_SIZE
    const items = Array.from({ length: PAGE_SIZE }, (_, i) => item((page - 1) * PAGE_SIZE + i))
    const headers = { 'content-type': 'application/json' }
    if (page < pages) headers.link = `<http://127.0.0.1:${port}/items?page=${page + 1}>; rel="next"`
    res.writeHead(200, headers)
    res.end(JSON.stringify(items))
    return
  }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ ok: true, path: req.url }))
})
server.keepAliveTimeout = 1000
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const port = server.address().port
const apiUrl = `http://127.0.0.1:${port}`

mkdirSync(join(env.XDG_CONFIG_HOME, 'oauth-cli'), { recursive: true })
writeFileSync(
  join(env.XDG_CONFIG_HOME, 'oauth-cli', 'config.json'),
  JSON.stringify({
    providers: {
      bench: {
        authorization_endpoint: `${apiUrl}/authorize`,
        token_endpoint: `${apiUrl}/token`,
        api_base_url: apiUrl,
        client_id: 'bench-client',
        redirect_uri: 'http://127.0.0.1:0/callback',
      },
    },
  }),
)

// ---------------------------------------------------------------- running
/**
 * Runs one process to its end. Answers wall time, peak RSS (KiB, through
 * /usr/bin/time when `rss`), stdout size and when the first line came.
 */
let rssMode = false
function run(file, argv, { input, rss = rssMode, keepOut = false, atFirstLine, env: runEnv = env } = {}) {
  return new Promise((resolve, reject) => {
    const [cmd, cmdArgs] = rss && TIME ? [TIME, ['-f', 'bench-peak-rss=%M', file, ...argv]] : [file, argv]
    const started = process.hrtime.bigint()
    const child = spawn(cmd, cmdArgs, { env: runEnv, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let bytes = 0
    let firstLineMs
    let firstLine
    let err = ''
    child.stdout.on('data', (d) => {
      bytes += d.length
      if (firstLineMs === undefined && d.includes(10)) {
        firstLineMs = Number(process.hrtime.bigint() - started) / 1e6
        firstLine = atFirstLine?.()
      }
      if (keepOut) out += d
    })
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      const peak = /bench-peak-rss=(\d+)/.exec(err)
      if (code !== 0) return reject(new Error(`${file} ${argv.join(' ')} exited ${code}: ${err.slice(0, 500)}`))
      resolve({ ms, out, bytes, firstLineMs, firstLine, rssKiB: peak ? Number(peak[1]) : undefined })
    })
    child.stdin.end(input ?? '')
  })
}
const node = (argv, opts) => run(process.execPath, argv, opts)
const cli = (argv, opts) => node([CLI, ...argv], opts)

// A stored credential, written through the tool's own import (fresh for an hour).
const credential = {
  version: 1,
  provider: 'bench',
  profile: 'default',
  kind: 'oauth',
  access_token: 'bench-access-token',
  token_type: 'Bearer',
  refresh_token: 'bench-refresh-token',
  expires_at: new Date(Date.now() + 3600_000).toISOString(),
  scope: [],
  client_id: 'bench-client',
  updated_at: new Date().toISOString(),
}
const importCredential = (lifeMs) =>
  cli(['import'], {
    rss: false,
    input: `oauth-cli-bundle:v1:${Buffer.from(JSON.stringify({ ...credential, expires_at: new Date(Date.now() + lifeMs).toISOString() })).toString('base64url')}`,
  })
await importCredential(3600_000)

/** What a script would write by hand with node:http: the floor for `call` and a refresh. */
const bareGet = `const h=require('node:http');h.get(${JSON.stringify(`${apiUrl}/x`)},{headers:{authorization:'Bearer bench-access-token'}},r=>{r.on('data',d=>process.stdout.write(d))})`
const bareRefresh = `const h=require('node:http');const b='grant_type=refresh_token&refresh_token=bench-refresh-token&client_id=bench-client';` +
  `const q=h.request(${JSON.stringify(`${apiUrl}/token`)},{method:'POST',headers:{'content-type':'application/x-www-form-urlencoded','content-length':b.length}},r=>{let s='';r.on('data',d=>s+=d);r.on('end',()=>process.stdout.write(JSON.parse(s).access_token+'\\n'))});q.end(b)`
const bareNode = () => node(['-e', ''])

// ---------------------------------------------------------------- cases
/**
 * Timed cases: `run` and `base` are each one process; they alternate PAIRS
 * times. `target` is the ratio of medians to meet; `rssTarget` compares peak RSS
 * with the baseline's.
 */
const CASES = [
  { name: '--version', run: () => cli(['--version']), base: bareNode, baseName: "node -e ''", target: 1.1 },
  { name: 'token (fresh)', run: () => cli(['token', 'bench']), base: bareNode, baseName: "node -e ''", target: 1.15, rssTarget: 1.1 },
  { name: 'status --json', run: () => cli(['status', '--json']), base: bareNode, baseName: "node -e ''", target: 1.3 },
  { name: 'providers', run: () => cli(['providers']), base: bareNode, baseName: "node -e ''" },
  { name: 'call bench /x', run: () => cli(['call', 'bench', '/x']), base: () => node(['-e', bareGet]), baseName: 'bare node:http GET', target: 1.3, rssTarget: 1.2 },
  // An expired token is stored again (untimed) before each run, so every run refreshes.
  { name: 'token (refresh)', prepare: () => importCredential(-60_000), run: () => cli(['token', 'bench']), base: () => node(['-e', bareRefresh]), baseName: 'bare node:http token request', target: 1.5 },
]

// The shared store (issue 12): a private PostgreSQL cluster when its binaries are here, or BENCH_POSTGRES_URL.
const shared = await startSharedStore()
if (shared) {
  await cli(['import'], { rss: false, env: shared.env, input: `oauth-cli-bundle:v1:${Buffer.from(JSON.stringify(credential)).toString('base64url')}` })
  // The shared store always encrypts (one scrypt per process): also compared with an encrypted file store.
  const encrypted = { ...env, XDG_DATA_HOME: join(home, 'data-encrypted'), OAUTH_CLI_PASSPHRASE: 'bench-passphrase' }
  await cli(['import'], { rss: false, env: encrypted, input: `oauth-cli-bundle:v1:${Buffer.from(JSON.stringify(credential)).toString('base64url')}` })
  CASES.push(
    {
      name: 'token (fresh, shared store)',
      run: () => cli(['token', 'bench'], { env: shared.env }),
      base: () => cli(['token', 'bench']),
      baseName: 'file-store `token`',
    },
    {
      name: 'token (fresh, shared store) vs encrypted file',
      run: () => cli(['token', 'bench'], { env: shared.env }),
      base: () => cli(['token', 'bench'], { env: encrypted }),
      baseName: 'encrypted file-store `token`',
    },
  )
} else {
  console.error('bench: no PostgreSQL (initdb) here and no BENCH_POSTGRES_URL: the shared-store case is skipped')
}

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a')
const verdict = (ok) => (ok === undefined ? '' : ok ? 'ok' : 'over')
const rows = []

try {
  const floor = []
  for (let i = 0; i < 5; i++) floor.push((await bareNode()).ms)
  const selected = CASES.filter((c) => !only || only.some((o) => c.name.includes(o)))
  for (const c of selected) {
    const prepare = c.prepare ?? (async () => {})
    const ours = async () => (await prepare(), (await c.run()).ms)
    for (let i = 0; i < WARMUP; i++) await c.base().then(ours)
    const a = []
    const b = []
    for (let i = 0; i < PAIRS; i++) {
      // Alternate which goes first, so neither always follows the other.
      if (i % 2) { b.push((await c.base()).ms); a.push(await ours()) } else { a.push(await ours()); b.push((await c.base()).ms) }
    }
    const ratio = median(a) / median(b)
    let rssNote = ''
    let rssOk
    if (c.rssTarget && TIME) {
      const ra = []
      const rb = []
      for (let i = 0; i < 3; i++) {
        await prepare()
        ra.push((await runWithRss(c.run)).rssKiB)
        rb.push((await runWithRss(c.base)).rssKiB)
      }
      const rssRatio = median(ra) / median(rb)
      rssOk = rssRatio <= c.rssTarget
      rssNote = `; peak RSS ${fmt(rssRatio)}× (target ≤ ${c.rssTarget}×)`
    }
    const ok = c.target === undefined ? undefined : ratio <= c.target && rssOk !== false
    rows.push([c.name, `${fmt(ratio)}× ${c.baseName}${rssNote}`, c.target ? `≤ ${c.target}×` : '', verdict(ok)])
    console.error(`bench: ${c.name}: ${rows.at(-1)[1]}`)
  }
  if (!only || only.some((o) => 'download'.includes(o))) rows.push(await bigDownload())
  if (!only || only.some((o) => 'paginate'.includes(o))) rows.push(...(await paginate()))
  floor.push((await bareNode()).ms)
  report(median(floor))
} finally {
  server.close()
  server.closeAllConnections?.()
  shared?.stop()
  rmSync(home, { recursive: true, force: true })
}

/**
 * A PostgreSQL for the shared-store case: BENCH_POSTGRES_URL (with PGPASSWORD in
 * the environment), else a throw-away cluster on 127.0.0.1 at a free port below
 * 32768, run as the postgres user when we are root (initdb refuses root).
 */
async function startSharedStore() {
  const passphrase = 'bench-passphrase'
  if (process.env.BENCH_POSTGRES_URL) {
    return { env: { ...env, OAUTH_CLI_STORE: process.env.BENCH_POSTGRES_URL, PGPASSWORD: process.env.PGPASSWORD ?? '', OAUTH_CLI_PASSPHRASE: passphrase }, stop() {} }
  }
  const { execFileSync } = await import('node:child_process')
  const { readdirSync, chownSync } = await import('node:fs')
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => b - a) : []
  const bin = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(`${d}/initdb`))
  if (!bin) return undefined
  const root = process.getuid?.() === 0
  const pgRun = (tool, argv) => execFileSync(root ? 'runuser' : `${bin}/${tool}`, root ? ['-u', 'postgres', '--', `${bin}/${tool}`, ...argv] : argv, { stdio: 'ignore' })
  const base = mkdtempSync(join(tmpdir(), 'oauth-cli-bench-pg-'))
  onSignal.push(() => {
    try {
      if (existsSync(join(base, 'data', 'postmaster.pid'))) pgRun('pg_ctl', ['-D', join(base, 'data'), '-m', 'immediate', '-w', 'stop'])
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  })
  const sockets = join(base, 'sockets')
  mkdirSync(sockets)
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString())
    for (const dir of [base, sockets]) chownSync(dir, uid, gid)
  }
  pgRun('initdb', ['-D', join(base, 'data'), '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync'])
  const port = 20000 + Math.floor(Math.random() * 12000)
  pgRun('pg_ctl', ['-D', join(base, 'data'), '-l', join(base, 'log'), '-w', 'start', '-o', `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c fsync=off`])
  const pg = (await import('pg')).default
  const admin = new pg.Client({ host: sockets, port, user: 'postgres', database: 'postgres' })
  await admin.connect()
  await admin.query("CREATE ROLE bench LOGIN PASSWORD 'bench-db-password'")
  await admin.query('CREATE DATABASE bench OWNER bench')
  await admin.end()
  return {
    env: { ...env, OAUTH_CLI_STORE: `postgres://bench@127.0.0.1:${port}/bench`, PGPASSWORD: 'bench-db-password', OAUTH_CLI_PASSPHRASE: passphrase },
    stop() {
      try {
        pgRun('pg_ctl', ['-D', join(base, 'data'), '-m', 'immediate', '-w', 'stop'])
      } finally {
        rmSync(base, { recursive: true, force: true })
      }
    },
  }
}

/** Runs a case's runner once under /usr/bin/time (`run` reads the switch). */
async function runWithRss(runner) {
  rssMode = true
  try {
    return await runner()
  } finally {
    rssMode = false
  }
}

async function bigDownload() {
  const file = join(home, 'big.bin')
  const ours = []
  const theirs = []
  const rss = []
  for (let i = 0; i < HEAVY_ROUNDS; i++) {
    rmSync(file, { force: true })
    const r = await cli(['call', 'bench', '/big', '-o', file], { rss: true })
    if (statSync(file).size !== BIG_BYTES) throw new Error(`call -o wrote ${statSync(file).size} bytes, not ${BIG_BYTES}`)
    ours.push(r.ms)
    rss.push(r.rssKiB)
    if (CURL) {
      rmSync(file, { force: true })
      theirs.push((await run(CURL, ['-s', '-o', file, `${apiUrl}/big`])).ms)
    }
  }
  rmSync(file, { force: true })
  const peakMiB = median(rss) / 1024
  const vsCurl = CURL ? median(theirs) / median(ours) : NaN
  const ok = peakMiB <= 150 && (!CURL || vsCurl >= 0.6)
  const note = `peak RSS ${fmt(peakMiB, 0)} MiB; throughput ${CURL ? `${fmt(vsCurl)}× curl's` : 'n/a (no curl)'}`
  console.error(`bench: 200 MiB -o: ${note}`)
  return ['200 MiB body `-o file`', note, '≤ 150 MiB, ≥ 0.6× curl', verdict(ok)]
}

async function paginate() {
  const results = []
  for (const ndjson of [true, false]) {
    const rss = []
    const first = []
    const servedAtFirst = []
    for (let i = 0; i < HEAVY_ROUNDS; i++) {
      pagesServed = 0
      const r = await cli(['call', 'bench', '/items', '--paginate', ...(ndjson ? ['--ndjson'] : [])], { rss: true, atFirstLine: () => pagesServed })
      rss.push(r.rssKiB)
      first.push((r.firstLineMs ?? r.ms) / r.ms)
      servedAtFirst.push(r.firstLine ?? pagesServed)
    }
    const peakMiB = median(rss) / 1024
    const firstAt = median(first) * 100
    const pages = PAGE_ITEMS / PAGE_SIZE
    if (ndjson) {
      // The first line comes once page 1 is in, while the later pages are still being fetched.
      const served = median(servedAtFirst)
      const ok = peakMiB <= 100 && served <= 2
      results.push([`\`--paginate --ndjson\`, ${PAGE_ITEMS / 1000}k items (${pages} pages)`, `peak RSS ${fmt(peakMiB, 0)} MiB; first line when ${served} of ${pages} pages were served (${fmt(firstAt, 0)} % into the run, start-up included)`, '≤ 100 MiB, first line after page 1', verdict(ok)])
    } else {
      results.push([`\`--paginate\` (merged array), ${PAGE_ITEMS / 1000}k items`, `peak RSS ${fmt(peakMiB, 0)} MiB`, '≤ 100 MiB', verdict(peakMiB <= 100)])
    }
    console.error(`bench: paginate${ndjson ? ' --ndjson' : ''}: ${results.at(-1)[1]}`)
  }
  return results
}

function report(floorMs) {
  const lines = [
    '| case | measured (ratio of medians) | target | |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ]
  const envNote = inherit
    ? 'the caller\'s environment (BENCH_INHERIT_ENV=1)'
    : `a clean environment: only ${[...KEPT, 'HOME', 'XDG_*_HOME', 'OAUTH_CLI_STORE=file'].join(', ')}`
  const foot = `${PAIRS} interleaved pairs per timed case, medians; ${HEAVY_ROUNDS} runs of each heavy case; Node ${process.version}; ${envNote}. ` +
    `The floor \`node -e ''\` took ${fmt(floorMs, 1)} ms here (absolute times vary by machine; only the ratios are the result).`
  console.log(lines.join('\n'))
  console.log(`\n${foot}`)
  console.log(cleared.length ? `Cleared from the environment: ${cleared.join(' ')}` : 'Nothing cleared from the environment.')
  if (!writeReadme || only) return
  const readme = join(ROOT, 'README.md')
  const text = readFileSync(readme, 'utf8')
  const start = '<!-- bench:start -->'
  const end = '<!-- bench:end -->'
  const a = text.indexOf(start)
  const b = text.indexOf(end)
  if (a === -1 || b < a) return console.error('bench: README has no bench markers; table not written')
  writeFileSync(readme, `${text.slice(0, a + start.length)}\n${lines.join('\n')}\n\n${foot}\n${text.slice(b)}`)
  console.error('bench: table written to README.md')
}
