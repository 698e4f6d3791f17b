/**
 * The dependency direction of shared/STYLE.md, enforced: cli → session →
 * {oauth, providers, store, http, platform}; nothing below cli imports cli, types included;
 * oauth stays a protocol library; only main.ts touches `process`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = fileURLToPath(new URL('../../src', import.meta.url))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

interface Import {
  file: string
  layer: string
  target: string
  typeOnly: boolean
  /** The imported file, relative to src/ and without `.ts`, for an import of one. */
  module?: string
}

function layerOf(path: string): string {
  const rel = relative(SRC, path)
  return rel.includes('/') ? (rel.split('/')[0] as string) : rel.replace(/\.ts$/, '')
}

function importsOf(file: string, text = readFileSync(file, 'utf8')): Import[] {
  const found: Import[] = []
  const pattern = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'|import\('([^']+)'\)/gm
  for (const m of text.matchAll(pattern)) {
    const spec = (m[3] ?? m[4]) as string
    const typeOnly = Boolean(m[2])
    const target = spec.startsWith('.') ? layerOf(join(file, '..', spec)) : spec
    const module = spec.startsWith('.') ? relative(SRC, join(file, '..', spec)) : undefined
    found.push({ file: relative(SRC, file), layer: layerOf(file), target, typeOnly, ...(module ? { module } : {}) })
  }
  return found
}

const files = sourceFiles(SRC)
const imports = files.flatMap((file) => importsOf(file))
const LAYERS = new Set(['cli', 'session', 'oauth', 'providers', 'store', 'http', 'platform', 'sandbox', 'main', 'main-full', 'main-listing', 'main-call', 'globals.d'])
const ROOTS = new Set(['main', 'main-full', 'main-listing', 'main-call'])

describe('architecture', () => {
  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(40)
  })

  it('lets nothing below cli import cli, not even a type (the session layer owns its ports)', () => {
    const offenders = imports.filter((i) => i.target === 'cli' && i.layer !== 'cli' && !ROOTS.has(i.layer))
    expect(offenders).toEqual([])
  })

  it('finds an import of cli from below, types included, when there is one', () => {
    const probe = importsOf(join(SRC, 'session', 'probe.ts'), "import type { Deps } from '../cli/deps'\n")
    expect(probe).toEqual([{ file: 'session/probe.ts', layer: 'session', target: 'cli', typeOnly: true, module: 'cli/deps' }])
  })

  it('keeps the oauth layer a protocol library: its own files, oauth4webapi, node built-ins, and port types', () => {
    const offenders = imports.filter(
      (i) =>
        i.layer === 'oauth' &&
        !(i.target === 'oauth' || i.target === 'oauth4webapi' || i.target.startsWith('node:')) &&
        !(i.typeOnly && (i.target === 'http' || i.target === 'platform')),
    )
    expect(offenders).toEqual([])
  })

  it('keeps the lower layers from importing session or cli', () => {
    const lower = new Set(['oauth', 'providers', 'store', 'http', 'platform'])
    const offenders = imports.filter((i) => lower.has(i.layer) && (i.target === 'session' || i.target === 'cli'))
    expect(offenders).toEqual([])
  })

  // ARCHITECTURE.md: providers, store, http and platform take only types from oauth, and its one
  // shared leaf: where plain http may carry a secret, which oauth (discovery) and providers (config
  // validation) both check. A leaf imports nothing, so the exception can pull in no protocol code.
  const OAUTH_SHARED_LEAVES = new Set(['oauth/loopback-hosts'])

  it('lets providers, store, http and platform take only types from oauth, and its shared leaf', () => {
    const peers = new Set(['providers', 'store', 'http', 'platform'])
    const offenders = imports.filter((i) => peers.has(i.layer) && i.target === 'oauth' && !i.typeOnly && !OAUTH_SHARED_LEAVES.has(i.module ?? ''))
    expect(offenders).toEqual([])
  })

  it("keeps oauth's shared leaves leaves: they import nothing", () => {
    expect(imports.filter((i) => OAUTH_SHARED_LEAVES.has(i.file.replace(/\.ts$/, '')))).toEqual([])
    for (const leaf of OAUTH_SHARED_LEAVES) expect(files).toContain(join(SRC, `${leaf}.ts`))
  })

  it('finds a value import of oauth from platform, and lets a type import through', () => {
    const probe = (text: string) => importsOf(join(SRC, 'platform', 'probe.ts'), text)
    expect(probe("import { discoverMetadata } from '../oauth/discovery'\n")).toEqual([
      { file: 'platform/probe.ts', layer: 'platform', target: 'oauth', typeOnly: false, module: 'oauth/discovery' },
    ])
    expect(probe("import type { ClientSecret } from '../oauth/types'\n")[0]?.typeOnly).toBe(true)
  })

  it('lets only main.ts touch the process object', () => {
    const offenders = files.filter((file) => {
      if (file.endsWith('main.ts')) return false
      return /\bprocess\.(argv|env|exit|exitCode|stdout|stderr|stdin|cwd|on)\b/.test(
        readFileSync(file, 'utf8').replace(/\/\/.*$/gm, ''),
      )
    })
    expect(offenders.map((f) => relative(SRC, f))).toEqual([])
  })

  it('keeps every file in a known layer', () => {
    expect(files.map(layerOf).filter((l) => !LAYERS.has(l))).toEqual([])
  })

  it('loads heavy packages (undici, open, the keychain addon, pg) only lazily', () => {
    const heavy = ['undici', 'open', '@napi-rs/keyring', 'pg']
    const eager = files.filter((file) => {
      const text = readFileSync(file, 'utf8')
      return heavy.some((pkg) => new RegExp(`^import(?!\\s+type)[^;]*from '${pkg.replace('/', '\\/')}`, 'm').test(text))
    })
    expect(eager.map((f) => relative(SRC, f))).toEqual([])
  })
})
