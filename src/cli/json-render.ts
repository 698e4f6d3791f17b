/**
 * JSON for a human at a terminal: indented like `JSON.stringify(v, null, 2)`
 * and, where colour is allowed, coloured the way jq does it. Pure.
 */

const sgr = (open: string) => (s: string) => `\u001b[${open}m${s}\u001b[0m`
const KEY = sgr('34;1')
const STRING = sgr('32')
const NULL = sgr('90')

/** `application/json`, `application/vnd.api+json`, `text/json` …; parameters ignored. */
export function isJsonContentType(contentType: string | null | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  return type === 'application/json' || type === 'text/json' || type.endsWith('+json')
}

/**
 * Pretty JSON ending in a newline. Without colour the text is exactly
 * `JSON.stringify(value, null, 2)`, so copying it from the terminal is lossless.
 */
export function renderPrettyJson(value: unknown, options: { color: boolean }): string {
  if (!options.color) return `${JSON.stringify(value, null, 2)}\n`
  return `${colour(value, '')}\n`
}

function colour(value: unknown, indent: string): string {
  if (value === null) return NULL('null')
  if (typeof value === 'string') return STRING(JSON.stringify(value))
  if (Array.isArray(value)) return colourArray(value, indent)
  if (typeof value === 'object') return colourObject(value as Record<string, unknown>, indent)
  // Numbers and booleans as JSON writes them (non-finite numbers become null).
  return JSON.stringify(value) ?? NULL('null')
}

function colourArray(items: unknown[], indent: string): string {
  if (items.length === 0) return '[]'
  const inner = `${indent}  `
  const lines = items.map((item) => `${inner}${item === undefined ? NULL('null') : colour(item, inner)}`)
  return `[\n${lines.join(',\n')}\n${indent}]`
}

function colourObject(object: Record<string, unknown>, indent: string): string {
  // JSON.stringify drops undefined-valued keys; so do we, to stay byte-compatible.
  const entries = Object.entries(object).filter(([, v]) => v !== undefined && typeof v !== 'function')
  if (entries.length === 0) return '{}'
  const inner = `${indent}  `
  const lines = entries.map(([key, value]) => `${inner}${KEY(JSON.stringify(key))}: ${colour(value, inner)}`)
  return `{\n${lines.join(',\n')}\n${indent}}`
}
