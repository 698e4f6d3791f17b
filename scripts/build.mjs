// Builds dist/ in two parts (see src/main.ts for why):
//
//   dist/esm/     the full CLI, ESM with code splitting: each command module is
//                 its own lazily imported chunk, so a command loads little.
//   dist/main.cjs the start-up fast path, ONE CommonJS file: `--version`,
//                 `--help` (precomputed here from the real commander tree) and
//                 a `token` whose stored token is fresh. Scripts call these in
//                 loops; a single CJS file skips the ESM loader's per-file work
//                 (measured: `token` 83 ms -> 71 ms against a 62 ms `node -e ''`).
//
// Everything the fast path does not need is left out of main.cjs: its dynamic
// imports resolve to a stub that rejects, and the fast path then hands the
// command to dist/esm/main-full.js, which does it from the start.
import { build } from 'esbuild'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import Module from 'node:module'
import { dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import vm from 'node:vm'

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
 * modules it bundles besides the fast path's own, though imported lazily. To
 * add one: a row here (and its import() in src/main.ts).
 */
const FAST_BUNDLES = [
  // status, providers.
  { name: 'fast-listing', entry: 'src/cli/fast-listing.ts', lazy: FAST_LAZY },
  // call: the node:http client, and the known-secrets learning every request goes through; a 401's refresh.
  { name: 'fast-commands', entry: 'src/cli/fast-commands.ts', lazy: REQUESTS_LAZY },
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

/**
 * How main.cjs requires a fast bundle: compiled with the V8 code cache the
 * build wrote beside it (<name>.cjs.v8cache), as Node's require would compile
 * it otherwise. Compiling ~250 KB of JavaScript is the largest part of a fast
 * command's own start-up (`call`: ~7 ms of ~48). A cache V8 refuses (another
 * Node version, other V8 flags) only costs the read: V8 compiles as usual.
 * Without a cache file, a plain require. Such a script has no import(): the
 * plugin below makes every package's import() a require.
 */
const FAST_BUNDLE_LOADER = `
const { readFileSync } = require('node:fs')
const { join } = require('node:path')
const Module = require('node:module')
const vm = require('node:vm')
exports.load = (file) => {
  const filename = join(__dirname, file)
  const loaded = require.cache[filename]
  if (loaded) return loaded.exports
  let cachedData
  try {
    cachedData = readFileSync(filename + '.v8cache')
  } catch {
    return require(filename)
  }
  const script = new vm.Script(Module.wrap(readFileSync(filename, 'utf8')), { filename, cachedData })
  const mod = new Module(filename)
  mod.filename = filename
  mod.paths = Module._nodeModulePaths(__dirname)
  require.cache[filename] = mod
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(filename), mod, filename, __dirname)
  mod.loaded = true
  return mod.exports
}
`

/** Writes the V8 code cache of a built fast bundle (see FAST_BUNDLE_LOADER), which must not import(). */
function writeCodeCache(file) {
  const dynamic = /\bimport\(\s*["'`]([^"'`]*)/.exec(readFileSync(file, 'utf8'))
  if (dynamic) throw new Error(`${file} imports ${dynamic[1]} dynamically, which a script compiled from a code cache cannot`)
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file })
  writeFileSync(`${file}.v8cache`, script.createCachedData())
}

const fastPathOnly = (lazy) => ({
  name: 'fast-path-only',
  setup(b) {
    b.onResolve({ filter: /^\.\/main-full$/ }, () => ({ path: './esm/main-full.js', external: true }))
    // The other CommonJS files of the fast build (FAST_BUNDLES): required, never bundled twice.
    for (const { name } of FAST_BUNDLES) {
      b.onResolve({ filter: new RegExp(`^\\./cli/${name}$`) }, () => ({ path: name, namespace: 'fast-bundle-require' }))
      b.onResolve({ filter: new RegExp(`^\\./${name}\\.cjs$`) }, () => ({ path: `./${name}.cjs`, external: true }))
    }
    b.onLoad({ filter: /.*/, namespace: 'fast-bundle-require' }, (args) => ({
      contents: `module.exports = require("fast-bundle-loader").load(${JSON.stringify(`${args.path}.cjs`)})`,
      loader: 'js',
    }))
    // A package's import() becomes a require(): a bundle compiled from its code cache cannot import()
    // (FAST_BUNDLE_LOADER), and a require skips the ESM loader besides.
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, namespace: 'package-require' } : undefined))
    b.onLoad({ filter: /.*/, namespace: 'package-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)})`, loader: 'js' }))
    b.onResolve({ filter: /.*/, namespace: 'package-require' }, (args) => ({ path: args.path, external: true }))
    b.onResolve({ filter: /^fast-bundle-loader$/ }, () => ({ path: 'fast-bundle-loader', namespace: 'fast-bundle-loader' }))
    b.onLoad({ filter: /.*/, namespace: 'fast-bundle-loader' }, () => ({ contents: FAST_BUNDLE_LOADER, loader: 'js' }))
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

const fastBuild = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  banner: { js: 'const __oauth_cli_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  define: {
    __OAUTH_CLI_VERSION__: version,
    __OAUTH_CLI_HELP__: JSON.stringify(help),
    'import.meta.url': '__oauth_cli_meta_url',
  },
  logLevel: 'warning',
}

await build({ ...fastBuild, entryPoints: ['src/main.ts'], outfile: 'dist/main.cjs', plugins: [fastPathOnly(FAST_LAZY)] })
for (const bundle of FAST_BUNDLES) {
  await build({
    ...fastBuild,
    entryPoints: [bundle.entry],
    outfile: `dist/${bundle.name}.cjs`,
    define: { ...fastBuild.define, __OAUTH_CLI_HELP__: 'null' },
    plugins: [fastPathOnly(bundle.lazy)],
  })
  writeCodeCache(resolve(root, `dist/${bundle.name}.cjs`))
}
