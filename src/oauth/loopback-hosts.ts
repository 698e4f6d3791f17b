/**
 * What "loopback" means where a secret may travel: plain `http:` is allowed on
 * these hosts. Pure. The other sense, the hosts a loopback redirect may name,
 * is platform/loopback-redirect.ts; every check of a loopback host in the tree
 * goes through one of the two.
 */

/**
 * A host whose traffic never leaves the machine: `127.0.0.0/8`, `[::1]` and
 * `localhost`, as `URL#hostname` spells them (already normalised). Plain
 * `http:` endpoints are allowed on these (SPEC, config file).
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.3
 * @see https://www.rfc-editor.org/rfc/rfc6890 (127.0.0.0/8 is loopback)
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  // 127.0.0.1 before the pattern: compiling it costs more than every other check here.
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/** `https:`, or `http:` on a loopback host: a URL on which a secret may travel. */
export function isSecureOrLoopbackUrl(url: Pick<URL, 'protocol' | 'hostname'>): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))
}
