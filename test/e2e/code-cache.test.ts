/**
 * The fast bundles (dist/fast-*.cjs) are compiled from the V8 code cache the
 * build writes beside each (<name>.cjs.v8cache): compiling them was the
 * largest part of a fast command's own start-up. A cache V8 refuses (another
 * Node, other V8 flags, a damaged file) changes nothing but the speed.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import Module from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import vm from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, runCli } from '../support/run-cli'
import { makeTempHome } from '../support/temp-home'

const DIST = join(REPO_ROOT, 'dist')
const bundles = readdirSync(DIST).filter((f) => /^fast-.*\.cjs$/.test(f))

const home = makeTempHome()
/** A copy of the built binary without the full CLI (dist/esm), so that a hand-off to it would fail. */
function fastOnlyCopy(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  mkdirSync(join(dir, 'bin'))
  mkdirSync(join(dir, 'dist'))
  copyFileSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'))
  copyFileSync(join(REPO_ROOT, 'bin', 'oauth-cli.cjs'), join(dir, 'bin', 'oauth-cli.cjs'))
  for (const file of readdirSync(DIST).filter((f) => /\.cjs(\.v8cache)?$/.test(f))) copyFileSync(join(DIST, file), join(dir, 'dist', file))
  return dir
}
const fastOnly = fastOnlyCopy('oauth-cli-fast-cached-')
/** The same, with its code caches damaged. */
const damaged = fastOnlyCopy('oauth-cli-damaged-cache-')
for (const file of bundles) writeFileSync(join(damaged, 'dist', `${file}.v8cache`), Buffer.alloc(4096, 7))

const api = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ path: req.url, authorization: req.headers.authorization }))
})
let env: Record<string, string>
beforeAll(async () => {
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`
  home.writeConfig({
    providers: { acme: { authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, api_base_url: base, client_id: 'c', redirect_uri: 'http://127.0.0.1:0/callback' } },
  })
  env = { ...home.env, NODE_PATH: join(REPO_ROOT, 'node_modules'), OAUTH_CLI_ACME_TOKEN: 'cached-bundle-token-1' }
})
afterAll(async () => {
  home.cleanup()
  for (const dir of [fastOnly, damaged]) rmSync(dir, { recursive: true, force: true })
  await new Promise<void>((resolve) => api.close(() => resolve()))
})

describe('the fast bundles\' code cache', () => {
  it.each(bundles)('is written beside %s, and this Node accepts it', (file) => {
    const filename = join(DIST, file)
    const script = new vm.Script(Module.wrap(readFileSync(filename, 'utf8')), { filename, cachedData: readFileSync(`${filename}.v8cache`) })
    expect(script.cachedDataRejected).toBe(false)
  })

  it.each([
    ['providers', ['providers']],
    // A script compiled from a cache could not import() (-o loads node:fs/promises so): the fast build requires packages instead.
    ['call -o (node:fs/promises, loaded lazily)', ['call', 'acme', '/x', '-o', 'out.json']],
    ['call', ['call', 'acme', '/x', '-i']],
  ])('runs %s from the cached bundles alone (no full CLI to hand over to), as the installed build does; a damaged cache changes nothing', async (_what, argv) => {
    const full = await runCli(argv, { env })
    const readOut = (): string | undefined => (argv.includes('-o') ? readFileSync(join(home.home, 'out.json'), 'utf8') : undefined)
    const fullOut = readOut()
    const cached = await runCli(argv, { env, entry: join(fastOnly, 'bin', 'oauth-cli.cjs') })
    const cachedOut = readOut()
    const refused = await runCli(argv, { env, entry: join(damaged, 'bin', 'oauth-cli.cjs') })
    expect(full.exitCode).toBe(0)
    const head = (run: typeof full) => ({ ...run, stdout: run.stdout.replace(/^date: .*$/im, 'date: -') })
    expect(head(cached)).toEqual(head(full))
    expect(head(refused)).toEqual(head(full))
    expect(cachedOut).toEqual(fullOut)
    expect(readOut()).toEqual(fullOut)
  })
})
