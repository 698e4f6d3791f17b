#!/usr/bin/env node
'use strict'
// Thin shim: the logic is in dist/ (built from src/ by `npm run build`).
// CommonJS on purpose: see src/main.ts on start-up time.
// `--version` alone is answered before dist/ is even loaded: scripts and version checks call it in loops.
if (process.argv.length === 3 && ['--version', '-V', 'version'].includes(process.argv[2])) {
  writeStdout(`oauth-cli ${require('../package.json').version}\n`)
} else {
  run()
}

/**
 * Writes straight to file descriptor 1: building `process.stdout` costs more
 * than the rest of `--version` (its stream loads tty/net). A reader that went
 * away (EPIPE) gets nothing more, quietly, as every other command's output
 * (exit 0); a non-blocking stdout that is full (EAGAIN), or anything else,
 * gets the rest through `process.stdout`, which waits for it.
 */
function writeStdout(text) {
  const fs = require('node:fs')
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
