/**
 * A known secret travels in more forms than its raw text: percent-encoded in a
 * query or form body (`r%2Ft%2B1` for `r/t+1`, `+` or `%20` for a space, hex
 * in either case), JSON-escaped in a body (`\/`, `\"`, `\u00e9`), and a server
 * echoing what it received quotes it in any of them. Each secret becomes one
 * pattern in which every character that some encoding changes matches each of
 * its forms; the patterns of a list of secrets are joined into one regular
 * expression, built on the first redaction that needs it and kept for that list.
 */

/** Characters no encoder changes (A-Z a-z 0-9 _ . -): matched as themselves only. */
function isPlain(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 46 || code === 45
}

/** Each secret's pattern, built once per process. */
const patternOf = new Map<string, string>()

interface Prepared {
  secret: string
  anchor: string
}

/** The last list of secrets seen (KnownSecrets hands out the same list until it learns another), sorted, with each one's anchor. */
let lastList: readonly string[] | undefined
let lastPrepared: Prepared[] = []

/** Expressions by the secrets they match, joined with NUL. */
const expressions = new Map<string, RegExp>()

/** A hexadecimal digit in either case (`%2f` and `%2F` alike). */
function hexDigit(digit: string): string {
  const upper = digit.toUpperCase()
  const lower = digit.toLowerCase()
  return upper === lower ? digit : `[${upper}${lower}]`
}

function hex(value: number, width: number): string {
  return [...value.toString(16).padStart(width, '0')].map(hexDigit).join('')
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')
}

function utf8Bytes(char: string): number[] {
  const code = char.charCodeAt(0)
  if (code < 0x80) return [code]
  try {
    return encodeURIComponent(char).slice(1).split('%').map((byte) => parseInt(byte, 16))
  } catch {
    return [0xef, 0xbf, 0xbd] // a lone surrogate travels as U+FFFD
  }
}

/** What one character may look like: raw, %XX per UTF-8 byte, `+` for a space, JSON's escapes. */
function characterPattern(char: string): string {
  if (char.length === 1 && isPlain(char.charCodeAt(0))) return char
  const forms = [escapeRegExp(char)]
  forms.push(utf8Bytes(char).map((byte) => `%${hex(byte, 2)}`).join(''))
  if (char === ' ') forms.push('\\+')
  if (char === '"' || char === '\\' || char === '/') forms.push(`\\\\${escapeRegExp(char)}`)
  const short = JSON.stringify(char).slice(1, -1)
  if (short.length === 2 && short !== `\\${char}`) forms.push(escapeRegExp(short))
  let units = ''
  for (let i = 0; i < char.length; i++) units += `\\\\u${hex(char.charCodeAt(i), 4)}`
  forms.push(units)
  return `(?:${forms.join('|')})`
}

/** The pattern matching `secret` in any of the forms it travels in. */
function secretPattern(secret: string): string {
  let pattern = patternOf.get(secret)
  if (pattern === undefined) {
    pattern = ''
    for (const char of secret) pattern += characterPattern(char)
    patternOf.set(secret, pattern)
  }
  return pattern
}

/**
 * The longest run of characters no encoding changes: whatever form the
 * secret takes, a text holding it holds this run.
 */
function anchorOf(secret: string): string {
  let best = ''
  let start = 0
  for (let i = 0; i <= secret.length; i++) {
    if (i < secret.length && isPlain(secret.charCodeAt(i))) continue
    if (i - start > best.length) best = secret.slice(start, i)
    start = i + 1
  }
  return best
}

/**
 * One expression matching, in any form, each of `secrets` (at least
 * `minLength` long) that may be in `text`, longest secret first; null when
 * none may be (the common case costs a few `includes`, nothing is compiled).
 */
export function secretsExpression(text: string, secrets: readonly string[], minLength: number): RegExp | null {
  if (secrets !== lastList) {
    lastPrepared = [...new Set(secrets)]
      .filter((s) => s.length >= minLength)
      .sort((a, b) => b.length - a.length)
      .map((secret) => ({ secret, anchor: anchorOf(secret) }))
    lastList = secrets
  }
  const present = lastPrepared.filter(({ anchor }) => text.includes(anchor)).map(({ secret }) => secret)
  if (present.length === 0) return null
  const key = present.join('\0')
  let expression = expressions.get(key)
  if (expression === undefined) {
    expression = new RegExp(present.map(secretPattern).join('|'), 'g')
    expressions.set(key, expression)
  }
  return expression
}
