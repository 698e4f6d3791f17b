// Loaded with --require by scripts/bench.mjs: reports the process's peak RSS
// (KiB) on stderr at exit, so the benchmark can compare memory use.
process.on('exit', () => {
  process.stderr.write(`oauth-cli-bench-rss=${process.resourceUsage().maxRSS}\n`)
})
