/**
 * The fast build is compiled with the V8 code cache `npm run build` writes
 * beside each file (dist/<file>.cjs.<build id>.cache). A cache that does not fit (another
 * build's, damaged bytes V8 rejects, a missing one) must change nothing but
 * speed: the same stdout, stderr and exit code. This Node accepts the caches
 * the build wrote, and the cached fast build runs on its own (no dist/esm to
 * hand over to), lazily loaded built-ins included. Each case runs a private
 * copy of bin/ and dist/, so the shared build is never touched.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { REPO_ROOT, runCli } from '../support/run-cli'
import { makeTempHome } from '../support/temp-home'
import { expectExit, it, loginAcme, SUITE, type World } from './world'

let copies: string
beforeAll(() => {
  copies = mkdtempSync(join(tmpdir(), 'oauth-cli-cache-'))
})
afterAll(() => rmSync(copies, { recursive: true, force: true }))

/** A code cache's file name: the fast-build file's, its build id, `.cache`. */
const CACHE_FILE = /^(.+\.cjs)\.([0-9a-f]{16})\.cache$/

/** A copy of the built CLI whose caches `spoil` rewrote; answers its bin. */
function copyWith(name: string, spoil: (cacheFile: string) => void): string {
  const root = join(copies, name)
  for (const part of ['bin', 'dist', 'package.json']) cpSync(join(REPO_ROOT, part), join(root, part), { recursive: true })
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'))
  const caches = readdirSync(join(root, 'dist')).filter((n) => CACHE_FILE.test(n))
  expect(caches.length).toBeGreaterThanOrEqual(4)
  for (const name of caches) spoil(join(root, 'dist', name))
  return join(root, 'bin', 'oauth-cli.cjs')
}

const SPOILERS: Array<[string, (cacheFile: string) => void]> = [
  ['missing', (file) => unlinkSync(file)],
  // The right build id, but bytes V8 rejects.
  ['damaged', (file) => writeFileSync(file, Buffer.alloc(readFileSync(file).length, 0x5a))],
  // Another build's: named after an id that is not the file's.
  ['of another build', (file) => renameSync(file, file.replace(CACHE_FILE, '$1.0123456789abcdef.cache'))],
]

async function answers(world: World, entry?: string): Promise<Array<{ exitCode: number | null; stdout: string; stderr: string }>> {
  const runs = []
  for (const argv of [['token', 'acme'], ['token', 'acme', '--json'], ['status', '--json'], ['providers'], ['token', 'nosuch'], ['status', '--verbose']]) {
    runs.push(await world.cli(argv, entry ? { entry } : {}))
  }
  return runs
}

describe('the fast build with a code cache that does not fit', SUITE, () => {
  it.each(SPOILERS)('a cache that is %s changes nothing the user sees', async (name, spoil) => {
    const entry = copyWith(name.replace(/\W/g, '-'), spoil)
    const world = await (await import('./world')).createWorld()
    try {
      await loginAcme(world)
      const expected = await answers(world)
      expectExit(expected[0]!, 0)
      expect(await answers(world, entry)).toEqual(expected)
    } finally {
      await world.close()
    }
  })
})

describe('the fast-build file bin/ starts a command from', () => {
  const { entryFor } = createRequire(import.meta.url)('../../bin/oauth-cli.cjs') as { entryFor(args: string[]): string }

  it.each([[['status']], [['status', '--json']], [['--json', 'providers']], [['profile', 'list']], [['-v', 'status', 'acme']]])(
    'starts %j from fast-listing.cjs, which holds main() and the listings',
    (args) => {
      expect(entryFor(args)).toBe('fast-listing.cjs')
    },
  )

  it.each([[['call', 'acme', '/x']], [['call', '-i', 'acme', '/x']], [['--verbose', 'call', 'acme', '/x']]])(
    'starts %j from fast-commands.cjs, which holds main() and the fast call',
    (args) => {
      expect(entryFor(args)).toBe('fast-commands.cjs')
    },
  )

  it.each([[['token', 'acme']], [['login', 'acme']], [['--help']], [[]], [['--store', 'file', 'status']], [['--profile', 'work', 'call', 'acme', '/x']]])(
    'starts %j from main.cjs (a listing after a flag value is handed on from there)',
    (args) => {
      expect(entryFor(args)).toBe('main.cjs')
    },
  )
})

describe('the fast build', () => {
  it('runs as strict code in every file, as the full CLI (ESM) does', () => {
    const files = readdirSync(join(REPO_ROOT, 'dist')).filter((n) => n.endsWith('.cjs'))
    expect(files.length).toBeGreaterThanOrEqual(4)
    // Each file is its own CommonJS wrapper; the directive counts only as the first statement of its function body:
    // anything before it (a banner) makes the file sloppy code.
    // (esm-import.cjs, which require() loads, is a plain CommonJS file.)
    const wrapper = '(function (exports, require, module, __filename, __dirname) { '
    const text = (n: string): string => readFileSync(join(REPO_ROOT, 'dist', n), 'utf8')
    expect(files.filter((n) => !text(n).startsWith(wrapper))).toEqual(['esm-import.cjs'])
    const body = (n: string): string => (text(n).startsWith(wrapper) ? text(n).slice(wrapper.length) : text(n))
    expect(files.filter((n) => !/^(['"])use strict\1[;\n]/.test(body(n)))).toEqual([])
  })
})

describe('the code cache as the installed build uses it', () => {
  it('is accepted by this Node for every fast-build file', () => {
    const { loadBundle, compiledBundles } = createRequire(import.meta.url)('../../bin/oauth-cli.cjs') as {
      loadBundle(file: string): unknown
      compiledBundles(): Array<{ file: string; script: { cachedDataRejected?: boolean } }>
    }
    const dist = join(REPO_ROOT, 'dist')
    const caches = readdirSync(dist).flatMap((n) => {
      const named = CACHE_FILE.exec(n)
      return named ? [{ file: join(dist, named[1]!), id: named[2]! }] : []
    })
    expect(caches.length).toBeGreaterThanOrEqual(4)
    // Each is named after the build id its file ends with.
    expect(caches.filter(({ file, id }) => !readFileSync(file, 'utf8').endsWith(`//# oauth-cli-build=${id}\n`))).toEqual([])
    const files = caches.map(({ file }) => file)
    for (const file of files) loadBundle(file)
    expect(compiledBundles().map(({ file, script }) => [basename(file), script.cachedDataRejected])).toEqual(files.map((f) => [basename(f), false]))
  })

  /** A stored token for the cases that need one: expired (a refresh), or one the API refuses (a 401, a refresh, the retry). */
  type Stored = 'expired' | 'refused'
  it.each<[string, string[], Stored?]>([
    ['providers', ['providers']],
    // A script compiled from a cache cannot import() (-o loads node:fs/promises lazily): the fast build requires packages instead.
    ['call -o (node:fs/promises, loaded lazily)', ['call', 'acme', '/x', '-o', 'out.json']],
    ['call', ['call', 'acme', '/x', '-i']],
    // The build warms these too, so their caches hold the refresh's lazily compiled code.
    ['token with an expired token (its refresh)', ['token', 'acme', '--json'], 'expired'],
    ['call refused with a 401 (a refresh, the retry)', ['call', 'acme', '/x'], 'refused'],
  ])('runs %s from the cached fast build alone (no full CLI to hand over to), as the full build does', async (_what, argv, stored) => {
    let issued = 0
    const api = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        if (req.url === '/token') {
          issued += 1
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          res.end(JSON.stringify({ access_token: `cached-bundle-issued-${issued}`, token_type: 'Bearer', expires_in: 3600, refresh_token: `cached-bundle-rotated-${issued}` }))
          return
        }
        if (req.headers.authorization === 'Bearer cached-bundle-refused') {
          res.writeHead(401, { 'content-type': 'application/json' })
          res.end('{"error":"invalid_token"}')
          return
        }
        res.writeHead(200, { 'content-type': 'application/json', date: 'Tue, 01 Dec 2026 00:00:00 GMT' })
        res.end(JSON.stringify({ path: req.url, authorization: req.headers.authorization?.replace(/-\d+$/, '-n') }))
      })
    })
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
    const home = makeTempHome()
    try {
      const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`
      home.writeConfig({
        providers: { acme: { authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, api_base_url: base, client_id: 'c', redirect_uri: 'http://127.0.0.1:0/callback' } },
      })
      const env = { ...home.env, NODE_PATH: join(REPO_ROOT, 'node_modules'), ...(stored ? {} : { OAUTH_CLI_ACME_TOKEN: 'cached-bundle-token-1' }) }
      const credentialFile = join(home.env.XDG_DATA_HOME!, 'oauth-cli', 'credentials', 'acme@default.json')
      const store = (): void => {
        if (!stored) return
        mkdirSync(join(credentialFile, '..'), { recursive: true, mode: 0o700 })
        const now = Date.now()
        const credential = {
          version: 1, provider: 'acme', profile: 'default', kind: 'oauth', token_type: 'Bearer', scope: [], client_id: 'c',
          access_token: stored === 'refused' ? 'cached-bundle-refused' : 'cached-bundle-expired', refresh_token: 'cached-bundle-refresh',
          expires_at: new Date(now + (stored === 'expired' ? -60_000 : 3600_000)).toISOString(), updated_at: new Date(now).toISOString(),
        }
        writeFileSync(credentialFile, `${JSON.stringify(credential, null, 2)}\n`, { mode: 0o600 })
      }
      /** What was stored (the tokens) and written to -o. */
      const state = (): unknown => {
        const saved = stored ? JSON.parse(readFileSync(credentialFile, 'utf8')) : undefined
        return {
          saved: saved && [saved.access_token.replace(/-\d+$/, '-n'), saved.refresh_token.replace(/-\d+$/, '-n')],
          out: argv.includes('-o') ? readFileSync(join(home.home, 'out.json'), 'utf8') : undefined,
        }
      }
      // bin/, package.json and dist/'s CommonJS files with their caches: no dist/esm, no node_modules.
      const root = join(copies, `fast-only-${argv.join('-').replace(/\W/g, '')}${stored ?? ''}`)
      mkdirSync(join(root, 'dist'), { recursive: true })
      cpSync(join(REPO_ROOT, 'bin'), join(root, 'bin'), { recursive: true })
      cpSync(join(REPO_ROOT, 'package.json'), join(root, 'package.json'))
      for (const name of readdirSync(join(REPO_ROOT, 'dist')).filter((n) => n.endsWith('.cjs') || CACHE_FILE.test(n))) cpSync(join(REPO_ROOT, 'dist', name), join(root, 'dist', name))
      const anonymise = (run: Awaited<ReturnType<typeof runCli>>) => ({ ...run, stdout: run.stdout.replace(/-\d+"/g, '-n"').replace(/"expires_at":"[^"]*"/, '"expires_at":"…"') })
      store()
      const full = await runCli(argv, { env })
      const fullState = state()
      store()
      const cached = await runCli(argv, { env, entry: join(root, 'bin', 'oauth-cli.cjs') })
      expect(full.exitCode).toBe(0)
      expect(anonymise(cached)).toEqual(anonymise(full))
      expect(state()).toEqual(fullState)
      // Each refresh went to the token endpoint: two when refreshing, none otherwise.
      expect(issued).toBe(stored ? 2 : 0)
      if (stored) expect(fullState).toMatchObject({ saved: ['cached-bundle-issued-n', 'cached-bundle-rotated-n'] })
    } finally {
      home.cleanup()
      await new Promise<void>((resolve) => api.close(() => resolve()))
    }
  })
})
