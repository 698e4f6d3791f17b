#!/usr/bin/env node
// Start-up and request benchmark (issue 5). Each case runs as a whole process,
// several rounds after a warm-up, interleaved with the `node -e ''` floor so
// that machine noise hits every case alike. Prints medians, ratios to the
// floor (or, for `call`, to a bare Node script doing one fetch) and peak RSS.
//
//   npm run bench                 # build, then measure (ROUNDS=20 by default)
//   ROUNDS=40 npm run bench       # steadier numbers
//   npm run bench -- --markdown   # the table as Markdown, for the README
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'bin', 'oauth-cli.cjs')
const ROUNDS = Number(process.env.ROUNDS ?? 20)
const WARMUP = 3
const markdown = process.argv.includes('--markdown')

const home = mkdtempSync(join(tmpdir(), 'oauth-cli-bench-'))
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ ok: true, path: req.url }))
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const apiUrl = `http://127.0.0.1:${server.address().port}`

// By default the caller's environment, as users run it (it matters: on this
// kind of machine NODE_EXTRA_CA_CERTS alone adds ~38 ms to every Node start);
// BENCH_CLEAN_ENV=1 measures with only PATH, the hardest case for the ratios.
const base = process.env.BENCH_CLEAN_ENV ? { PATH: process.env.PATH } : { ...process.env }
const env = {
  ...base,
  HOME: home,
  XDG_CONFIG_HOME: join(home, 'config'),
  XDG_DATA_HOME: join(home, 'data'),
  OAUTH_CLI_STORE: 'file',
  OAUTH_CLI_CONFIG: join(home, 'config.json'),
  NO_COLOR: '1',
}
writeFileSync(
  env.OAUTH_CLI_CONFIG,
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

function run(argv, { input, probe = false } = {}) {
  return new Promise((resolve, reject) => {
    const childEnv = probe ? { ...env, NODE_OPTIONS: `--require ${join(ROOT, 'scripts', 'rss-probe.cjs')}` } : env
    const started = process.hrtime.bigint()
    const child = spawn(process.execPath, argv, { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (code !== 0) reject(new Error(`${argv.join(' ')} exited ${code}: ${err}`))
      else resolve({ ms, out, err })
    })
    child.stdin.end(input ?? '')
  })
}

// A fresh cached OAuth token (an hour to go), written through the tool's own import.
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
const bundle = `oauth-cli-bundle:v1:${Buffer.from(JSON.stringify(credential)).toString('base64url')}`
await run([CLI, 'import'], { input: bundle })

const fetchScript = `const r = await fetch(${JSON.stringify(`${apiUrl}/x`)}, { headers: { authorization: 'Bearer bench-access-token' } }); process.stdout.write(Buffer.from(await r.arrayBuffer()))`
const cases = [
  { name: "node -e ''", argv: ['-e', ''], floor: true },
  { name: 'node: one fetch', argv: ['--input-type=module', '-e', fetchScript], fetchFloor: true },
  { name: 'oauth-cli --version', argv: [CLI, '--version'], target: 1.15 },
  { name: 'oauth-cli --help', argv: [CLI, '--help'], target: 1.15 },
  { name: 'oauth-cli token bench (fresh)', argv: [CLI, 'token', 'bench'], target: 1.15 },
  { name: 'oauth-cli status --json', argv: [CLI, 'status', '--json'] },
  { name: 'oauth-cli call bench /x', argv: [CLI, 'call', 'bench', '/x'], target: 1.3, vsFetch: true },
]

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

try {
  for (let i = 0; i < WARMUP; i++) for (const c of cases) await run(c.argv)
  const times = new Map(cases.map((c) => [c.name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) times.get(c.name).push((await run(c.argv)).ms)
  }
  const rss = new Map()
  for (const c of cases) {
    const samples = []
    for (let i = 0; i < 3; i++) {
      const { err } = await run(c.argv, { probe: true })
      const match = /oauth-cli-bench-rss=(\d+)/.exec(err)
      if (match) samples.push(Number(match[1]))
    }
    rss.set(c.name, median(samples))
  }
  const floor = median(times.get(cases.find((c) => c.floor).name))
  const fetchFloor = median(times.get(cases.find((c) => c.fetchFloor).name))
  const floorRss = rss.get(cases.find((c) => c.floor).name)
  const rows = cases.map((c) => {
    const ms = median(times.get(c.name))
    const base = c.vsFetch ? fetchFloor : floor
    const ratio = ms / base
    const rssRatio = rss.get(c.name) / (c.vsFetch ? rss.get('node: one fetch') : floorRss)
    const verdict = c.target === undefined ? '' : ratio <= c.target && rssRatio <= 1.3 ? 'ok' : 'over'
    return {
      case: c.name,
      median_ms: ms.toFixed(1),
      ratio: `${ratio.toFixed(2)}×${c.vsFetch ? ' fetch' : ''}`,
      target: c.target === undefined ? '' : `≤ ${c.target}×`,
      peak_rss_mb: (rss.get(c.name) / 1024).toFixed(1),
      rss_ratio: `${rssRatio.toFixed(2)}×`,
      verdict,
    }
  })
  const head = ['case', 'median ms', 'ratio', 'target', 'peak RSS MB', 'RSS ratio', '']
  const keys = ['case', 'median_ms', 'ratio', 'target', 'peak_rss_mb', 'rss_ratio', 'verdict']
  if (markdown) {
    console.log(`| ${head.join(' | ')} |`)
    console.log(`|${head.map(() => '---').join('|')}|`)
    for (const r of rows) console.log(`| ${keys.map((k) => r[k]).join(' | ')} |`)
  } else {
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[keys[i]]).length)))
    const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ')
    console.log(line(head))
    for (const r of rows) console.log(line(keys.map((k) => r[k])))
  }
  console.log(`\n${ROUNDS} rounds after ${WARMUP} warm-up rounds, interleaved; Node ${process.version}; ratios against the floor measured in this run (call against the bare fetch script); RSS ratio target ≤ 1.3×.`)
  console.log(process.env.BENCH_CLEAN_ENV ? 'Environment: PATH only (BENCH_CLEAN_ENV=1).' : `Environment: inherited${process.env.NODE_EXTRA_CA_CERTS ? ' (NODE_EXTRA_CA_CERTS is set: it slows every Node start, the floor included)' : ''}; BENCH_CLEAN_ENV=1 for PATH only.`)
} finally {
  server.close()
  rmSync(home, { recursive: true, force: true })
}
