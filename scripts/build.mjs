// Builds dist/ in two parts (see src/main.ts for why):
//
//   dist/esm/     the full CLI, ESM with code splitting: each command module is
//                 its own lazily imported chunk, so a command loads little.
//   dist/main.cjs the start-up fast path, ONE CommonJS file: `--version`,
//                 `--help` (precomputed here from the real commander tree, in
//                 dist/help.json, read only for --help) and
//                 a `token` whose stored token is fresh. Scripts call these in
//                 loops; a single CJS file skips the ESM loader's per-file work
//                 (measured: `token` 83 ms -> 71 ms against a 62 ms `node -e ''`).
//
// Everything the fast path does not need is left out of main.cjs: its dynamic
// imports resolve to a stub that rejects, and the fast path then hands the
// command to dist/esm/main-full.js, which does it from the start.
import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'))
const version = JSON.stringify(pkg.version)

/**
 * Modules the fast path imports lazily and needs all the same (the credential
 * stores). The shared store's code is bundled but runs only when used; `pg`
 * stays an external package that is required only then.
 */
const FAST_LAZY = new Set(['src/store/select-store.ts', 'src/store/postgres-store.ts'].map((p) => resolve(root, p)))
/**
 * And those a request and a refresh need: the node:http client, the
 * known-secrets learning, and everything a refresh loads up to the save and
 * the emergency file (nothing the fast build leaves out may come once a
 * refresh request went out).
 */
const REQUESTS_LAZY = new Set([
  ...FAST_LAZY,
  ...['src/http/client.ts', 'src/http/node-client.ts', 'src/http/secrets.ts'].map((p) => resolve(root, p)),
  ...['src/session/fresh-token.ts', 'src/session/refresh.ts', 'src/session/rescue.ts', 'src/store/versioned.ts', 'src/store/lock.ts'].map((p) => resolve(root, p)),
])
/**
 * The fast build's other CommonJS files, each required only by the command
 * that needs it, so that main.cjs (token) stays small: `import('./cli/<name>')`
 * in the fast build becomes `require('./<name>.cjs')` (an import() would send
 * the file through the ESM loader and its CJS lexer, ~100 ms). `lazy`: the
 * modules it bundles besides the fast path's own, though imported lazily;
 * `help`: it answers --help from dist/help.json as main.cjs does. To add one:
 * a row here (and its import() in src/main.ts).
 */
const FAST_BUNDLES = [
  // status, providers, profile; and main() itself (src/main-listing.ts): bin/ starts a listing from this file alone.
  { name: 'fast-listing', entry: 'src/main-listing.ts', lazy: FAST_LAZY, help: true },
  // call: the node:http client, and the known-secrets learning every request goes through; a 401's refresh;
  // and main() itself (src/main-call.ts): bin/ starts a call from this file alone.
  { name: 'fast-commands', entry: 'src/main-call.ts', lazy: REQUESTS_LAZY, help: true },
  // token with a stale token: the same, for its refresh.
  { name: 'fast-refresh', entry: 'src/cli/fast-refresh.ts', lazy: REQUESTS_LAZY },
]

rmSync(resolve(root, 'dist'), { recursive: true, force: true })

await build({
  absWorkingDir: root,
  entryPoints: { 'main-full': 'src/main-full.ts', 'help-snapshot': 'src/cli/help-snapshot.ts' },
  outdir: 'dist/esm',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  define: { __OAUTH_CLI_VERSION__: version, __OAUTH_CLI_HELP__: 'null' },
  logLevel: 'warning',
})

const { renderAllHelp } = await import(pathToFileURL(resolve(root, 'dist/esm/help-snapshot.js')).href)
const help = await renderAllHelp()

const fastPathOnly = (lazy) => ({
  name: 'fast-path-only',
  setup(b) {
    // The hand-off to the full CLI: its ESM is imported by dist/esm-import.cjs, a file require() compiles
    // (code compiled with a V8 code cache, as bin/ loads the fast build, cannot import()).
    b.onResolve({ filter: /^\.\/main-full$/ }, () => ({ path: 'main-full', namespace: 'main-full-import' }))
    b.onLoad({ filter: /.*/, namespace: 'main-full-import' }, () => ({
      contents:
        'exports.mainFull = (...args) => require("./esm-import.cjs")("./esm/main-full.js").then((full) => full.mainFull(...args))\n',
      loader: 'js',
    }))
    b.onResolve({ filter: /^\.\/esm-import\.cjs$/ }, () => ({ path: './esm-import.cjs', external: true }))
    // Node built-ins and packages imported lazily: required (the same exports; an import() from
    // CommonJS would load the ESM loader, and cannot run in code compiled with a code cache).
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, namespace: 'external-require' } : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'external-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)})`,
      loader: 'js',
      resolveDir: root,
    }))
    // The other CommonJS files of the fast build (FAST_BUNDLES), imported lazily: required, never bundled
    // twice. A static import (src/main-listing.ts's of its own fast-listing) is bundled.
    for (const { name } of FAST_BUNDLES) {
      b.onResolve({ filter: new RegExp(`^\\./cli/${name}$`) }, (args) =>
        args.kind === 'dynamic-import' ? { path: name, namespace: 'fast-bundle-require' } : undefined,
      )
      b.onResolve({ filter: new RegExp(`^\\./${name}\\.cjs$`) }, () => ({ path: `./${name}.cjs`, external: true }))
    }
    b.onLoad({ filter: /.*/, namespace: 'fast-bundle-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`./${args.path}.cjs`)})`,
      loader: 'js',
    }))
    b.onResolve({ filter: /^\./ }, async (args) => {
      if (args.kind !== 'dynamic-import' || args.pluginData === 'resolved') return undefined
      const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolved' })
      if (found.errors.length > 0 || lazy.has(found.path)) return found
      return { path: args.path, namespace: 'not-on-fast-path' }
    })
    // status/providers live beside their commander definitions; the fast path runs only their run halves.
    b.onResolve({ filter: /^commander$/ }, () => ({ path: 'commander', namespace: 'commander-stub' }))
    b.onLoad({ filter: /.*/, namespace: 'commander-stub' }, () => ({
      contents:
        'class NotHere { constructor() { throw new Error("commander is not part of the start-up fast path") } }\n' +
        'module.exports = { Command: NotHere, Option: NotHere, InvalidArgumentError: NotHere, CommanderError: NotHere }\n',
      loader: 'js',
    }))
    b.onLoad({ filter: /.*/, namespace: 'not-on-fast-path' }, (args) => ({
      // Named, so that a fast path can tell "hand this to the full CLI" from a real failure.
      contents: `throw Object.assign(new Error(${JSON.stringify(`${args.path} is not part of the start-up fast path`)}), { name: 'NotOnFastPath' })`,
      loader: 'js',
    }))
  },
})

/**
 * Every start reads its fast-build files whole (bin/oauth-cli.cjs): minified, main.cjs and
 * fast-listing.cjs stay well under 128 KiB, past which reading one as text costs more than
 * twice as much (measured: 0.13 ms against 0.34 ms for main.cjs). Names in error messages
 * are explicit strings (`name = '…'`), never the minified class names.
 */
const FAST_FILE_BUDGET = 128 * 1024

/** What require() wraps a CommonJS file in (Module.wrapper), which each fast-build file holds itself. */
const CJS_WRAPPER_START = '(function (exports, require, module, __filename, __dirname) { '
const CJS_WRAPPER_END = '\n})\n'
const fastBuild = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  minify: true,
  // import.meta.url, worked out when read (only --help and the shared store's driver do): turning the
  // path into a URL at the top of every file cost ~0.2 ms of each `token`. 'use strict' first: esbuild's own
  // comes after the banner, where it is no directive, and the fast build ran as sloppy code (a write to a
  // frozen catalog entry silently ignored, where the full CLI, ESM, throws).
  banner: { js: '\'use strict\';\nconst __oauth_cli_meta = { get url() { return require("node:url").pathToFileURL(__filename).href } };' },
  define: {
    __OAUTH_CLI_VERSION__: version,
    // Read by main.cjs only for --help (src/main.ts): not compiled by every `token`.
    __OAUTH_CLI_HELP__: JSON.stringify('./help.json'),
    'import.meta.url': '__oauth_cli_meta.url',
  },
  logLevel: 'warning',
}

await build({ ...fastBuild, entryPoints: ['src/main.ts'], outfile: 'dist/main.cjs', plugins: [fastPathOnly(FAST_LAZY)] })
for (const bundle of FAST_BUNDLES) {
  await build({
    ...fastBuild,
    entryPoints: [bundle.entry],
    outfile: `dist/${bundle.name}.cjs`,
    define: bundle.help ? fastBuild.define : { ...fastBuild.define, __OAUTH_CLI_HELP__: 'null' },
    plugins: [fastPathOnly(bundle.lazy)],
  })
}
for (const name of ['main', 'fast-listing']) {
  const size = readFileSync(resolve(root, `dist/${name}.cjs`)).length
  if (size > FAST_FILE_BUDGET * 0.9) console.warn(`build: dist/${name}.cjs is ${size} bytes, near or over its ${FAST_FILE_BUDGET} budget: every start reads it`)
}
writeFileSync(resolve(root, 'dist/help.json'), `${JSON.stringify(help)}\n`)
writeFileSync(resolve(root, 'dist/esm-import.cjs'), "'use strict'\nmodule.exports = (specifier) => import(specifier)\n")
await writeCodeCaches(['main', ...FAST_BUNDLES.map((b) => b.name)].map((name) => resolve(root, `dist/${name}.cjs`)))

/**
 * The V8 code cache of each fast-build file, as bin/oauth-cli.cjs reads it
 * (`<file>.<build id>.cache`, the cache alone). Compiling the files is
 * most of their start-up cost; the cache holds the functions a run needs, so it
 * is made after warm runs of the fast paths (token, status, providers,
 * profile, call, a refresh) in a throw-away world whose provider is a loopback
 * server of the build's own. The id (a hash of the file, appended to it) ties a cache
 * to its build; V8 rejects one made by another Node version, and the file then
 * compiles as without it. Best effort: a failed warm run only makes a colder cache.
 */
async function writeCodeCaches(files) {
  const ids = new Map()
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    // Code compiled with a code cache cannot import(): every one must have become a require (fastPathOnly).
    const dynamic = /\bimport\(\s*["'`]([^"'`]*)/.exec(text)
    if (dynamic) throw new Error(`${file} imports ${dynamic[1]} dynamically, which a script compiled from a code cache cannot`)
    const id = createHash('sha256').update(text).digest('hex').slice(0, 16)
    // The CommonJS wrapper is written into the file, so that bin/ compiles its text as it is: wrapping it at each start
    // made a second copy of the whole source to compile (~0.05 ms of every start).
    writeFileSync(file, `${CJS_WRAPPER_START}${text}${CJS_WRAPPER_END}//# oauth-cli-build=${id}\n`)
    ids.set(file, id)
  }
  const { loadBundle, compiledBundles, entryFor } = createRequire(import.meta.url)('../bin/oauth-cli.cjs')
  // Each run through the file whose main() bin/ starts for it (main.cjs, or fast-listing.cjs for a listing).
  const mainOf = (argv) => loadBundle(resolve(dirname(files[0]), entryFor(argv)))
  let world
  let server
  try {
    world = mkdtempSync(join(tmpdir(), 'oauth-cli-build-warm-'))
    // Without a loopback server (none can listen here), only the runs that send nothing.
    server = await startWarmServer().catch((err) => void console.warn(`build: the code cache is warmed without call and refresh (${err?.message ?? err})`))
    const { env, staleToken } = warmWorld(world, server?.url ?? 'https://warm.invalid')
    const runs = [
      ['token', 'warm'], ['token', 'warm', '--json'], ['status', '--json'], ['status'], ['providers'], ['providers', '--json'], ['profile'],
      // call: a JSON answer on stdout and a body to a file (the loopback server below).
      ['call', 'warm', '/x'], ['call', 'warm', '/x', '-o', join(world, 'body.out')],
      // A stale token: its refresh; then a call whose token the API refuses once (401, refresh, the retry).
      () => staleToken(), ['token', 'warm'], () => server.refuseNext(), ['call', 'warm', '/x'],
    ].slice(0, server ? undefined : 7)
    for (const argv of runs) {
      if (typeof argv === 'function') {
        argv()
        continue
      }
      const out = []
      const sink = (chunks) => ({ isTTY: false, destroyed: false, writableLength: 0, write: (c, cb) => (chunks.push(String(c)), cb?.(), true), on() { return this }, once() { return this }, off() { return this } })
      const proc = { argv: ['node', 'oauth-cli', ...argv], env, platform: process.platform, stdin: { isTTY: false }, stdout: sink(out), stderr: sink(out), cwd: () => world, execPath: process.execPath }
      const code = await mainOf(argv).main(proc).catch((err) => err)
      if (code !== 0) console.warn(`build: warming the code cache with \`${argv.join(' ')}\` ended with ${code}: ${out.join('').slice(0, 300)}`)
    }
  } catch (err) {
    console.warn(`build: the code cache is written without (some) warm runs (${err?.message ?? err})`)
  } finally {
    await server?.stop()
    if (world) rmSync(world, { recursive: true, force: true })
  }
  for (const file of files) loadBundle(file)
  for (const { file, script } of compiledBundles()) {
    const id = ids.get(file)
    if (id === undefined) throw new Error(`build: ${file} was loaded for its code cache but is not a fast-build file`)
    writeFileSync(`${file}.${id}.cache`, script.createCachedData())
  }
}

/**
 * The API and token endpoint of the warm runs, on loopback only (127.0.0.1, a
 * port the system picks): a JSON answer for any path, a rotated token from
 * /token, and a 401 for the next API request after `refuseNext()`.
 */
async function startWarmServer() {
  let refuse = false
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      if (req.url === '/token') {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        res.end(JSON.stringify({ access_token: 'warm-access-token-2', token_type: 'Bearer', expires_in: 3600, refresh_token: 'warm-refresh-token-2' }))
        return
      }
      if (refuse) {
        refuse = false
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' })
        res.end(JSON.stringify({ error: 'invalid_token' }))
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok: true, path: req.url, items: [1, 2, 3] }))
    })
  })
  await new Promise((done, fail) => server.once('error', fail).listen(0, '127.0.0.1', done))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    refuseNext: () => void (refuse = true),
    stop: () => {
      server.closeAllConnections()
      return new Promise((done) => server.close(() => done()))
    },
  }
}

/**
 * A config-file provider (its endpoints on the warm server) with a fresh token
 * in a private file store, as the fast paths meet them; `staleToken()` makes
 * the stored token one that needs a refresh.
 */
function warmWorld(dir, api) {
  const env = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data'), XDG_STATE_HOME: join(dir, 'state'), XDG_CACHE_HOME: join(dir, 'cache'), OAUTH_CLI_STORE: 'file' }
  mkdirSync(join(env.XDG_CONFIG_HOME, 'oauth-cli'), { recursive: true })
  writeFileSync(
    join(env.XDG_CONFIG_HOME, 'oauth-cli', 'config.json'),
    JSON.stringify({ providers: { warm: { authorization_endpoint: `${api}/authorize`, token_endpoint: `${api}/token`, api_base_url: api, client_id: 'warm' } } }),
  )
  const credentials = join(env.XDG_DATA_HOME, 'oauth-cli', 'credentials')
  mkdirSync(credentials, { recursive: true, mode: 0o700 })
  const store = (life) => {
    const now = Date.now()
    const credential = {
      version: 1, provider: 'warm', profile: 'default', kind: 'oauth', access_token: 'warm-access-token', token_type: 'Bearer',
      refresh_token: 'warm-refresh-token', expires_at: new Date(now + life).toISOString(), scope: [], client_id: 'warm', updated_at: new Date(now).toISOString(),
    }
    writeFileSync(join(credentials, 'warm@default.json'), `${JSON.stringify(credential, null, 2)}\n`, { mode: 0o600 })
  }
  store(3600_000)
  return { env, staleToken: () => store(-60_000) }
}
