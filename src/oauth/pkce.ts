/**
 * PKCE and `state`: fresh random values from oauth4webapi (WebCrypto
 * `getRandomValues`, 32 bytes, base64url).
 */
import * as oauth from 'oauth4webapi'
import type { CodeVerifier, State } from './types'

/**
 * A new code verifier and its S256 challenge. `plain` is never offered: S256 is
 * mandatory to implement for servers and keeps the verifier off the front channel.
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2
 */
export async function createPkce(): Promise<{ verifier: CodeVerifier; challenge: string; method: 'S256' }> {
  const verifier = oauth.generateRandomCodeVerifier() as CodeVerifier
  const challenge = await oauth.calculatePKCECodeChallenge(verifier)
  return { verifier, challenge, method: 'S256' }
}

/**
 * A new unguessable `state`, bound to one login attempt against CSRF.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12
 */
export function createState(): State {
  return oauth.generateRandomState() as State
}
