/**
 * Attack (issue 10 item 15): a hostile or broken API answers a body far larger
 * than the machine's memory, or a small gzip body that expands to hundreds of
 * megabytes (a decompression bomb). The built CLI held bodies whole: 500 MB with
 * `-o` peaked at 2.1 GB, 306 KB of gzip expanding to 300 MB at 1.3 GB. Bodies
 * must stream to stdout and `-o` with bounded memory (peak RSS under 150 MB
 * whatever the size), and decompression must be bounded too.
 *
 * The child's peak RSS is read from the child itself: a `--require` preload
 * writes `process.resourceUsage().maxRSS` to a file when it exits (no
 * /usr/bin/time needed).
 */
import { spawn } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_BIN, testPath } from '../support/run-cli'
import { securityHome, type SecurityHome } from './support'

const MiB = 1024 * 1024
const HUGE = 400 * MiB
const BOMB_DECODED = 300 * MiB
const PEAK_LIMIT_MiB = 150

let server: Server
let base: string
let home: SecurityHome
let bomb: Buffer

beforeAll(async () => {
  // 300 MiB of zeros gzip to ~300 KB: what the issue measured.
  bomb = gzipSync(Buffer.alloc(BOMB_DECODED), { level: 9 })
  const chunk = Buffer.alloc(MiB, 'x')
  server = createServer((req, res) => {
    if (req.url === '/huge') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': HUGE })
      let sent = 0
      const pump = (): void => {
        while (sent < HUGE) {
          sent += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
      return
    }
    if (req.url === '/bomb') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': bomb.length })
      res.end(bomb)
      return
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  home = securityHome()
  home.writeConfig({
    providers: {
      hostile: {
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        api_base_url: base,
        client_id: 'hostile-client',
        redirect_uri: 'http://127.0.0.1:0/callback',
      },
    },
  })
  await home.plant({
    version: 1,
    provider: 'hostile',
    profile: 'default',
    kind: 'oauth',
    access_token: 'at-hostile-0123456789',
    token_type: 'Bearer',
    refresh_token: 'rt-hostile-0123456789',
    expires_at: new Date(Date.now() + 3600_000).toISOString(),
    scope: [],
    updated_at: new Date().toISOString(),
  })
}, 60_000)

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  home.cleanup()
})

/** Runs the built CLI, counting (not keeping) its stdout, and answers its exit code and peak RSS in MiB. */
async function runMeasured(args: string[]): Promise<{ code: number | null; stdoutBytes: number; stderr: string; peakMiB: number }> {
  const probe = join(home.home, 'rss-probe.cjs')
  const out = join(home.home, `rss-${Date.now()}.txt`)
  writeFileSync(
    probe,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)))\n`,
  )
  const child = spawn(process.execPath, ['--require', probe, CLI_BIN, ...args], {
    env: { ...home.env, PATH: testPath() },
    cwd: home.home,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdoutBytes = 0
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdoutBytes += d.length))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, stdoutBytes, stderr, peakMiB: Number(readFileSync(out, 'utf8')) / 1024 }
}

describe('a huge or compressed response body cannot exhaust memory', () => {
  it(`writes a ${HUGE / MiB} MiB body to -o with peak RSS under ${PEAK_LIMIT_MiB} MiB`, async () => {
    const file = join(home.home, 'huge.bin')
    const run = await runMeasured(['call', 'hostile', '/huge', '-o', file])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(statSync(file).size).toBe(HUGE)
    expect(run.peakMiB).toBeLessThan(PEAK_LIMIT_MiB)
  }, 120_000)

  it(`streams a gzip bomb (~300 KB expanding to ${BOMB_DECODED / MiB} MiB) to stdout with peak RSS under ${PEAK_LIMIT_MiB} MiB`, async () => {
    const run = await runMeasured(['call', 'hostile', '/bomb'])
    expect(run.code).toBe(0)
    expect(run.stdoutBytes).toBe(BOMB_DECODED)
    expect(run.peakMiB).toBeLessThan(PEAK_LIMIT_MiB)
  }, 120_000)
})
