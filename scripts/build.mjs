// Bundles src/ into dist/ with code splitting, so each command module is its own
// lazily imported chunk and a quick command loads little (see shared/STYLE.md).
import { build } from 'esbuild'
import { readFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

await build({
  entryPoints: { main: 'src/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  define: { __OAUTH_CLI_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
})
