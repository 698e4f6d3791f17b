#!/usr/bin/env node
/**
 * The `$BROWSER` of the real-browser test: instead of opening the URL it hands
 * it to the test, by POSTing it to the small server named in $URL_CATCHER, and
 * exits 0 (so oauth-cli counts the browser as opened). The test's Chromium
 * then visits the URL.
 *
 * Usage: URL_CATCHER=http://127.0.0.1:PORT/ url-catcher.mjs <url>
 */
const url = process.argv.at(-1)
const target = process.env.URL_CATCHER
if (!url || !target) {
  process.stderr.write('url-catcher: needs a URL argument and $URL_CATCHER\n')
  process.exit(2)
}
try {
  const res = await fetch(target, { method: 'POST', body: url, signal: AbortSignal.timeout(5_000) })
  process.exit(res.ok ? 0 : 1)
} catch (err) {
  process.stderr.write(`url-catcher: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
}
