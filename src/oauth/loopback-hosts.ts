/**
 * What "loopback" means, in its two senses. Pure; every check of a loopback
 * host in the tree goes through one of these two.
 */

/**
 * The hosts a loopback redirect URI may name (SPEC, "Redirects"): exactly
 * those the one-shot listener binds (`oauth/loopback.ts`), as `URL#hostname`
 * spells them.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export const LOOPBACK_REDIRECT_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost'])

/** An `http:` URL on one of LOOPBACK_REDIRECT_HOSTS: a redirect the listener on this machine can serve. */
export function isLoopbackRedirectUri(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_REDIRECT_HOSTS.has(url.hostname)
}

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
export function isSecureOrLoopbackUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))
}
