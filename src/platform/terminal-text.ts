/**
 * The one sanitiser for text a server chose (error descriptions, device codes,
 * verification URIs, traced headers and bodies) on its way to a terminal. ANSI
 * CSI and OSC sequences can rewrite the screen, set the window title, plant a
 * hyperlink or write the clipboard (OSC 52); a CR can overwrite a warning; bidi
 * overrides can reorder what is read. Each such character is shown escaped
 * (`\x1b`, `\r`, `\u202e`) instead: visible, inert, and still debuggable.
 */

/**
 * C0 controls other than tab and newline, DEL, C1 controls, and the Unicode
 * bidi embedding/override/isolate characters and line/paragraph separators.
 * Newline is handled by the caller's choice (`multiline`).
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
const UNSAFE_OR_NEWLINE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\u001b': '\\x1b' }

function escapeOne(ch: string): string {
  const named = NAMED[ch]
  if (named) return named
  const code = ch.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/**
 * Escapes every control character of `text` for display. With `multiline`,
 * newlines stay (a stack trace); without, a newline is escaped too, so a
 * one-line field cannot forge a line of the tool's own output.
 */
export function escapeControls(text: string, options: { multiline?: boolean } = {}): string {
  return text.replace(options.multiline ? UNSAFE : UNSAFE_OR_NEWLINE, escapeOne)
}
