#!/usr/bin/env node
'use strict'
// Thin shim: the logic is in dist/ (built from src/ by `npm run build`).
// CommonJS on purpose: see src/main.ts on start-up time.
/**
 * Writes straight to file descriptor 1: building `process.stdout` costs more
 * than the rest of `--version` (its stream loads tty/net). A reader that went
 * away (EPIPE) gets nothing more, quietly, as every other command's output
 * (exit 0); a non-blocking stdout that is full (EAGAIN), or anything else,
 * gets the rest through `process.stdout`, which waits for it.
 */
function writeStdout(text) {
  const fs = builtin('node:fs')
  const bytes = Buffer.from(text)
  let offset = 0
  try {
    while (offset < bytes.length) offset += fs.writeSync(1, bytes, offset, bytes.length - offset)
  } catch (err) {
    if (err && err.code === 'EPIPE') return
    process.stdout.on('error', () => undefined)
    process.stdout.write(bytes.subarray(offset))
  }
}

function run() {
  // Ctrl-C where nothing handles it (the fast builds) ends as in the full CLI, whose own handler
  // (a second listener) says it otherwise: one "cancelled" line, exit 130.
  process.on('SIGINT', () => {
    if (process.listenerCount('SIGINT') > 1) return
    process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}oauth-cli: cancelled\n`)
    process.exit(130)
  })
  const file = builtin('node:path').join(__dirname, '..', 'dist', entryFor(process.argv.slice(2)))
  let bundle
  try {
    bundle = loadBundle(file)
  } catch (err) {
    // A checkout never built (npm install builds it; a bare clone run as is does not): say so, not a stack.
    if (!err || err.code !== 'ENOENT' || err.path !== file) throw err
    process.stderr.write(`oauth-cli: ${file} is missing: this copy of oauth-cli is not built\nrun: npm run build (in ${builtin('node:path').dirname(__dirname)})\n`)
    process.exitCode = 1
    return
  }
  bundle
    .main(process)
    .then((code) => {
      process.exitCode = code
      // The answer is out. Should anything still hold the process (a keychain call
      // abandoned after its timeout stays queued in the native thread pool), end it,
      // but only once stdout and stderr have drained (pipes are asynchronous on macOS).
      // With nothing that could (a fresh `token`), it ends now, as the timer would end it: without
      // the teardown of the heap a natural end does (~0.5 ms), and without a timer to make (~0.2 ms).
      if (!mayBeHeld()) process.exit(code)
      const finish = () => {
        if (process.stdout.writableLength > 0 || process.stderr.writableLength > 0) {
          setTimeout(finish, 50).unref()
          return
        }
        process.exit(code)
      }
      setTimeout(finish, 250).unref()
    })
}

/**
 * The fast-build file whose main() to start: main.cjs, or for `status`,
 * `providers` and `profile` fast-listing.cjs, and for `call` fast-commands.cjs,
 * which hold the same main() and those commands (one file to load instead of
 * two). A guess from the first argument that is not a flag; a wrong one costs
 * only the second file.
 */
function entryFor(args) {
  const command = args.find((arg) => !arg.startsWith('-'))
  if (command === 'call') return 'fast-commands.cjs'
  return command === 'status' || command === 'providers' || command === 'profile' ? 'fast-listing.cjs' : 'main.cjs'
}

/**
 * A Node built-in (`node:fs`), the same object require() gives, without
 * require()'s module resolution: that costs ~15 µs a call and ~60 µs the first,
 * and the fast build asks for built-ins a dozen times at start-up.
 * Undefined for an id that is no built-in.
 */
function builtin(id) {
  return process.getBuiltinModule(id)
}

/**
 * Whether anything could still hold the process once main() answered: an active
 * handle or request, or a package's code, whose native work (a keychain call
 * abandoned after its timeout) is listed nowhere. Where only this file and
 * Node's built-ins ran, and nothing is active, the process is about to end.
 */
function mayBeHeld() {
  return process.getActiveResourcesInfo().length > 0 || Object.keys(require.cache).some((file) => file !== __filename)
}

/**
 * The fast build's CommonJS files (dist/main.cjs and the fast-*.cjs it
 * requires), loaded as require() would, but compiled with the V8 code cache
 * `npm run build` wrote beside each: compiling them is most of their start-up
 * cost. A cache is named after the build it belongs to (the id in the
 * `//# oauth-cli-build=<id>` line the build appends to the file:
 * `main.cjs.<id>.cache`), so another build's is never found; one V8 rejects
 * (another Node version, other V8 flags) is ignored, and the file then
 * compiles as without it.
 */
const bundles = new Map()
function loadBundle(file) {
  const loaded = bundles.get(file)
  if (loaded) return loaded.module.exports
  const fs = builtin('node:fs')
  const path = builtin('node:path')
  const vm = builtin('node:vm')
  const source = fs.readFileSync(file, 'utf8')
  // The file is its own CommonJS wrapper (the build writes it so): compiled as it is, it is the module's function.
  const script = new vm.Script(source, {
    filename: file,
    cachedData: readCache(fs, file, source),
  })
  const dir = path.dirname(file)
  const bundle = new module.constructor(file, module)
  bundle.filename = file
  bundle.paths = module.paths
  bundles.set(file, { module: bundle, script })
  // Its sibling bundles load the same way; Node's built-ins as they are; anything else as the file's own require() would.
  const requireFromBundle = (id) => {
    if (id.startsWith('node:')) return builtin(id) ?? bundle.require(id)
    return id.startsWith('./fast-') && /^\.\/fast-[\w-]+\.cjs$/.test(id) ? loadBundle(path.join(dir, id)) : bundle.require(id)
  }
  script.runInThisContext()(bundle.exports, requireFromBundle, bundle, file, dir)
  bundle.loaded = true
  return bundle.exports
}

/**
 * The cached code of this very build of `file`, whose text is `source`. The
 * cache file holds nothing else, so that its bytes arrive as V8 reads them: a
 * header before them would leave them unaligned, and V8 copies unaligned data
 * first (~0.1 ms for main.cjs's), besides the Buffer methods it would take to
 * read one (another ~0.1 ms of first use).
 */
function readCache(fs, file, source) {
  const id = buildIdOf(source)
  if (id === undefined) return undefined
  try {
    return fs.readFileSync(`${file}.${id}.cache`)
  } catch {
    return undefined
  }
}

/** The id in the `//# oauth-cli-build=<id>` line that ends a fast-build file (16 hex digits), if it has one. */
function buildIdOf(source) {
  const line = '//# oauth-cli-build='
  const at = source.length - line.length - 17
  if (at < 0 || !source.startsWith(line, at) || !source.endsWith('\n')) return undefined
  const id = source.slice(at + line.length, -1)
  for (let i = 0; i < id.length; i++) if ('0123456789abcdef'.indexOf(id[i]) < 0) return undefined
  return id
}

/** For the build: each bundle loaded so far, with its compiled script (to make its cache from). */
function compiledBundles() {
  return [...bundles].map(([file, { script }]) => ({ file, script }))
}

if (require.main !== module) {
  // scripts/build.mjs: the loader, to warm and write the code caches.
  module.exports = { loadBundle, compiledBundles, entryFor }
} else if (process.argv.length === 3 && ['--version', '-V', 'version'].includes(process.argv[2])) {
  // Answered before dist/ is even loaded: scripts and version checks call it in loops.
  writeStdout(`oauth-cli ${require('../package.json').version}\n`)
} else {
  run()
}
