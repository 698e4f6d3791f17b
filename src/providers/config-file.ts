/**
 * Reading the config file (`--config`, `$OAUTH_CLI_CONFIG`, or the XDG default;
 * the caller picks the path and supplies the reader, so this module does no I/O).
 */
import { ConfigError } from './errors'
import { suggestClosest, validateProviderConfig } from './schema'
import type { ProviderConfig } from './types'

export interface ConfigFile {
  path: string
  /** Validated entries, keyed by provider name. */
  providers: Record<string, ProviderConfig>
  exists: boolean
}

/** Who named the config file: the flag, the environment, or nobody (the XDG default). */
export type ConfigSource = '--config' | 'OAUTH_CLI_CONFIG' | 'default'

/** Top-level keys; `$schema` lets editors attach a JSON schema. */
const TOP_LEVEL_KEYS = ['providers', '$schema'] as const

/**
 * Loads and validates the config file. A missing file at the default path is
 * an empty config; a file holding only whitespace is one too (what `touch`
 * leaves behind). A missing file named by `--config` or `$OAUTH_CLI_CONFIG` is
 * a ConfigError `missing_config` naming it.
 *
 * @throws ConfigError `malformed_config` naming `path:LINE:COLUMN` for invalid
 *   JSON or a non-object top level; `invalid_value` / `insecure_endpoint` with the
 *   JSON path for a bad entry
 */
export async function loadConfigFile(
  path: string,
  readTextFile: (p: string) => Promise<string | undefined>,
  namedBy?: ConfigSource,
): Promise<ConfigFile> {
  const text = await readTextFile(path)
  if (text === undefined) {
    // Only the default path may be absent: a path the user named is a typo or a missing mount, not "no config".
    if (namedBy !== undefined && namedBy !== 'default') {
      throw new ConfigError('missing_config', `the config file ${path} (from ${namedBy}) does not exist`, {
        hint: namedBy === '--config' ? 'check the path given to --config' : 'check OAUTH_CLI_CONFIG, or unset it to use the default config file',
      })
    }
    return { path, providers: {}, exists: false }
  }
  // Editors on Windows may save a byte order mark, which JSON.parse rejects.
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  if (source.trim() === '') return { path, providers: {}, exists: true }
  const parsed = parseJson(path, source)
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('malformed_config', `${path}: the top level must be a JSON object like {"providers": {...}}`)
  }
  return { path, providers: readProviders(path, parsed as Record<string, unknown>), exists: true }
}

function readProviders(path: string, top: Record<string, unknown>): Record<string, ProviderConfig> {
  for (const key of Object.keys(top)) {
    if ((TOP_LEVEL_KEYS as readonly string[]).includes(key)) continue
    const suggestion = suggestClosest(key, TOP_LEVEL_KEYS)
    const advice = suggestion === undefined ? 'only "providers" is read' : `did you mean "${suggestion}"?`
    throw new ConfigError('invalid_value', `${path}: ${key}: unknown key; ${advice}`)
  }
  const providers = top.providers
  if (providers === undefined) return {}
  if (typeof providers !== 'object' || providers === null || Array.isArray(providers)) {
    throw new ConfigError('invalid_value', `${path}: providers: must be an object keyed by provider name`)
  }
  const entries = Object.entries(providers).map(([name, raw]): [string, ProviderConfig] => [
    name,
    validateProviderConfig(name, raw, path),
  ])
  return Object.fromEntries(entries)
}

function parseJson(path: string, source: string): unknown {
  try {
    return JSON.parse(source)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    const { line, column } = locateJsonError(source, message)
    throw new ConfigError('malformed_config', `${path}:${line}:${column}: invalid JSON: ${describeJsonError(message)}`, {
      cause: err,
    })
  }
}

/**
 * The engine's reason without the position and without the source excerpt V8
 * quotes (`..."…"... is not valid JSON`), which could hold a client secret.
 */
export function describeJsonError(message: string): string {
  const reason = message
    .replace(/,\s*(?:\.\.\.)?".*is not valid JSON\s*$/s, '')
    .replace(/\s*\(line \d+ column \d+\)/, '')
    .replace(/\s+in JSON at position \d+/, '')
    .replace(/\s+at position \d+/, '')
    .replace(/^JSON\.parse:\s*/, '')
    .trim()
  return reason === '' ? 'syntax error' : reason.charAt(0).toLowerCase() + reason.slice(1)
}

/**
 * 1-based line and column of a JSON syntax error. Uses what the engine reports
 * (`line L column C` or `position N`), and otherwise finds the offset itself,
 * since V8 omits the position from "Unexpected token" messages.
 */
export function locateJsonError(source: string, message: string): { line: number; column: number } {
  const lineColumn = /line (\d+) column (\d+)/.exec(message)
  if (lineColumn !== null) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) }
  const position = /position (\d+)/.exec(message)
  const offset = position !== null ? Number(position[1]) : findJsonErrorOffset(source)
  return offsetToLineColumn(source, Math.min(offset, source.length))
}

function offsetToLineColumn(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, offset)
  const lastBreak = before.lastIndexOf('\n')
  return { line: before.split('\n').length, column: offset - lastBreak }
}

/** Thrown inside the scanner with the offending offset. */
class JsonSyntaxAt {
  constructor(readonly offset: number) {}
}

/** Offset of the first JSON syntax error in `source` (RFC 8259 grammar), or `source.length`. */
export function findJsonErrorOffset(source: string): number {
  try {
    const end = skipWhitespace(source, scanValue(source, skipWhitespace(source, 0)))
    return end < source.length ? end : source.length
  } catch (err) {
    if (err instanceof JsonSyntaxAt) return err.offset
    // Only absurd nesting depth gets here; the start is the honest answer.
    return 0
  }
}

function skipWhitespace(s: string, i: number): number {
  while (i < s.length && ' \t\n\r'.includes(s[i] as string)) i++
  return i
}

function scanValue(s: string, i: number): number {
  const c = s[i]
  if (c === '{') return scanContainer(s, i + 1, '}', true)
  if (c === '[') return scanContainer(s, i + 1, ']', false)
  if (c === '"') return scanString(s, i + 1)
  if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return scanNumber(s, i)
  for (const literal of ['true', 'false', 'null']) {
    if (c === literal[0]) return scanLiteral(s, i, literal)
  }
  throw new JsonSyntaxAt(i)
}

function scanLiteral(s: string, i: number, literal: string): number {
  for (let k = 0; k < literal.length; k++) {
    if (s[i + k] !== literal[k]) throw new JsonSyntaxAt(i + k)
  }
  return i + literal.length
}

function scanContainer(s: string, i: number, close: '}' | ']', isObject: boolean): number {
  i = skipWhitespace(s, i)
  if (s[i] === close) return i + 1
  for (;;) {
    if (isObject) {
      if (s[i] !== '"') throw new JsonSyntaxAt(i)
      i = skipWhitespace(s, scanString(s, i + 1))
      if (s[i] !== ':') throw new JsonSyntaxAt(i)
      i = skipWhitespace(s, i + 1)
    }
    i = skipWhitespace(s, scanValue(s, i))
    if (s[i] === close) return i + 1
    if (s[i] !== ',') throw new JsonSyntaxAt(i)
    i = skipWhitespace(s, i + 1)
  }
}

function scanString(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i)
    if (c === 0x22) return i + 1
    if (c < 0x20) throw new JsonSyntaxAt(i)
    if (c === 0x5c) {
      i = scanEscape(s, i + 1)
      continue
    }
    i++
  }
  throw new JsonSyntaxAt(s.length)
}

function scanEscape(s: string, i: number): number {
  const c = s[i]
  if (c !== undefined && '"\\/bfnrt'.includes(c)) return i + 1
  if (c !== 'u') throw new JsonSyntaxAt(i)
  for (let k = 1; k <= 4; k++) {
    if (!/^[0-9a-fA-F]$/.test(s[i + k] ?? '')) throw new JsonSyntaxAt(i + k)
  }
  return i + 5
}

function scanNumber(s: string, i: number): number {
  if (s[i] === '-') i++
  i = s[i] === '0' ? i + 1 : scanDigits(s, i)
  if (s[i] === '.') i = scanDigits(s, i + 1)
  if (s[i] === 'e' || s[i] === 'E') {
    i++
    if (s[i] === '+' || s[i] === '-') i++
    i = scanDigits(s, i)
  }
  return i
}

/** One or more digits; the error sits where a digit was needed, as V8 reports it. */
function scanDigits(s: string, i: number): number {
  const start = i
  while (i < s.length && (s[i] as string) >= '0' && (s[i] as string) <= '9') i++
  if (i === start) throw new JsonSyntaxAt(i)
  return i
}
