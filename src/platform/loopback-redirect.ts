/**
 * The hosts a loopback redirect URI may name: those a listener on this
 * machine binds. Pure. Here, not in oauth/, because the browser adapter
 * (platform/browser-port.ts) needs it and platform takes only types from
 * oauth (ARCHITECTURE.md); the other sense of loopback, where plain http may
 * carry a secret, is oauth/loopback-hosts.ts.
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
