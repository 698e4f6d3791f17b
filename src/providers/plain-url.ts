/**
 * The scheme and host of an absolute http(s) URL written in its plain form,
 * told without the WHATWG URL parser. The first `new URL` of a process costs
 * ~0.15 ms (Node compiles its URL class on first use), and a fresh `token`
 * whose provider is in the config file checks each endpoint there, but
 * otherwise needs no URL at all. Plain is the form `new URL` takes as it is:
 * - a lowercase `http` or `https` scheme, then `//`;
 * - a host that is `[::1]`, a dotted IPv4 address without leading zeros, or a
 *   lowercase name of letters, digits and inner hyphens whose last label
 *   begins with a letter (a name ending in a number is an IPv4 address that
 *   `new URL` would rewrite) and with no `xn--` label (punycode, which it decodes);
 * - no user name or password; a port without leading zeros, at most 65535;
 * - a path and query of RFC 3986 characters, no fragment.
 * Anything else is undefined, and the caller asks `new URL`. A test holds
 * every plain URL it tries against `new URL`.
 */
export function plainHttpUrl(s: string): { protocol: 'http:' | 'https:'; hostname: string } | undefined {
  // Character by character: a regular expression would cost more to compile (~0.1 ms each) than the URL parser.
  const protocol = s.startsWith('https://') ? 'https:' : s.startsWith('http://') ? 'http:' : undefined
  if (protocol === undefined) return undefined
  let i = protocol.length + 2
  const hostStart = i
  while (i < s.length && isHostChar(s.charCodeAt(i))) i++
  let hostname = s.slice(hostStart, i)
  if (hostname === '' && s.startsWith('[::1]', i)) {
    hostname = '[::1]'
    i += hostname.length
  } else if (!isIPv4(hostname) && !isPlainName(hostname)) {
    return undefined
  }
  if (s.charCodeAt(i) === COLON) {
    const portStart = ++i
    while (i < s.length && isDigit(s.charCodeAt(i))) i++
    const port = s.slice(portStart, i)
    if (port === '' || port.length > 5 || (port.length > 1 && port.startsWith('0')) || Number(port) > 65535) return undefined
  }
  if (i < s.length && s.charCodeAt(i) !== SLASH && s.charCodeAt(i) !== QUESTION) return undefined
  for (; i < s.length; i++) if (!isPathChar(s.charCodeAt(i))) return undefined
  return { protocol, hostname }
}

const COLON = 0x3a
const SLASH = 0x2f
const QUESTION = 0x3f
const HYPHEN = 0x2d

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
const isLower = (c: number): boolean => c >= 0x61 && c <= 0x7a
const isHostChar = (c: number): boolean => isLower(c) || isDigit(c) || c === HYPHEN || c === 0x2e

/** RFC 3986's unreserved and sub-delims characters, and `:@%/?`: a path and query `new URL` keeps as written. */
const PATH_PUNCTUATION = "-._~!$&'()*+,;=:@%/?"
function isPathChar(c: number): boolean {
  return isLower(c) || isDigit(c) || (c >= 0x41 && c <= 0x5a) || PATH_PUNCTUATION.includes(String.fromCharCode(c))
}

/** Four decimal numbers up to 255, without leading zeros. */
function isIPv4(host: string): boolean {
  const parts = host.split('.')
  return parts.length === 4 && parts.every((part) => part !== '' && part.length <= 3 && [...part].every((ch) => isDigit(ch.charCodeAt(0))) && (part.length === 1 || !part.startsWith('0')) && Number(part) <= 255)
}

/** Labels of letters, digits and inner hyphens, none of them punycode (`xn--`), the last beginning with a letter. */
function isPlainName(host: string): boolean {
  const labels = host.split('.')
  if (!isLower((labels[labels.length - 1] as string).charCodeAt(0))) return false
  return labels.every(
    (label) => label !== '' && label.charCodeAt(0) !== HYPHEN && label.charCodeAt(label.length - 1) !== HYPHEN && !label.startsWith('xn--'),
  )
}
