/**
 * A small `.env` reader for `<PROVIDER>_CLIENT_ID` / `<PROVIDER>_CLIENT_SECRET`.
 * It follows the common dotenv conventions, with one deliberate difference: an
 * unquoted value ends at a `#` only when whitespace precedes it, so a secret
 * such as `abc#123` survives without quotes (as in a shell or docker compose).
 */

const ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.]*)[ \t]*=[ \t]*/

interface ParsedValue {
  value: string
  /** Offset just past the line that ends the value. */
  next: number
}

/**
 * Parses `.env` text: `KEY=value`, `export KEY=value`, single quotes (literal),
 * double quotes (`\n`, `\r`, `\t`, `\"`, `\\` escapes; may span lines),
 * backticks (literal), `#` comments and blank lines. Lines it cannot read are
 * skipped; the last assignment of a key wins. Never throws.
 */
export function parseDotenv(text: string): Record<string, string> {
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
  const entries = new Map<string, string>()
  let pos = 0
  while (pos < src.length) {
    const lineEnd = endOfLine(src, pos)
    const match = ASSIGNMENT.exec(src.slice(pos, lineEnd))
    if (match === null) {
      pos = lineEnd + 1
      continue
    }
    const parsed = readValue(src, pos + match[0].length, lineEnd)
    // Map keeps `__proto__` an ordinary key; Object.fromEntries defines it as data.
    entries.set(match[1] as string, parsed.value)
    pos = parsed.next
  }
  return Object.fromEntries(entries)
}

function endOfLine(src: string, from: number): number {
  const i = src.indexOf('\n', from)
  return i === -1 ? src.length : i
}

function readValue(src: string, start: number, lineEnd: number): ParsedValue {
  const quote = src[start]
  if (quote === "'" || quote === '`') {
    const close = src.indexOf(quote, start + 1)
    if (close !== -1) return { value: src.slice(start + 1, close), next: endOfLine(src, close) + 1 }
  }
  if (quote === '"') {
    const close = findClosingDoubleQuote(src, start + 1)
    if (close !== -1) {
      return { value: unescapeDoubleQuoted(src.slice(start + 1, close)), next: endOfLine(src, close) + 1 }
    }
  }
  // Unquoted, or a quote that never closes: the rest of the line, less an inline comment.
  const raw = src.slice(start, lineEnd)
  const value = raw.startsWith('#') ? '' : raw.replace(/[ \t]+#.*$/, '').trim()
  return { value, next: lineEnd + 1 }
}

function findClosingDoubleQuote(src: string, from: number): number {
  for (let i = from; i < src.length; i++) {
    if (src[i] === '\\') i++
    else if (src[i] === '"') return i
  }
  return -1
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' }

function unescapeDoubleQuoted(body: string): string {
  return body.replace(/\\(.)/gs, (whole, ch: string) => ESCAPES[ch] ?? whole)
}
