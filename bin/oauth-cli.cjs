#!/usr/bin/env node
'use strict'
// Thin shim: the logic is in dist/ (built from src/ by `npm run build`).
// CommonJS on purpose: see src/main.ts on start-up time.
// `--version` alone is answered before dist/ is even loaded: scripts and version checks call it in loops.
if (process.argv.length === 3 && ['--version', '-V', 'version'].includes(process.argv[2])) {
  // A reader that went away (`| head -1`) has what it wanted: without a listener its EPIPE is a stack trace.
  process.stdout.on('error', () => undefined).write(`oauth-cli ${require('../package.json').version}\n`)
} else {
  run()
}

function run() {
  // Ctrl-C where nothing handles it (the fast builds) ends as in the full CLI, whose own handler
  // (a second listener) says it otherwise: one "cancelled" line, exit 130.
  process.on('SIGINT', () => {
    if (process.listenerCount('SIGINT') > 1) return
    process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}oauth-cli: cancelled\n`)
    process.exit(130)
  })
  require('../dist/main.cjs')
    .main(process)
    .then((code) => {
      process.exitCode = code
      // The answer is out. Should anything still hold the process (a keychain call
      // abandoned after its timeout stays queued in the native thread pool), end it,
      // but only once stdout and stderr have drained (pipes are asynchronous on macOS).
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
