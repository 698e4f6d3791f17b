/**
 * The HTTP client for requests sent on a provider's behalf (its token,
 * revocation and discovery endpoints, its API). A request that cannot reach
 * the provider carries the provider's `unreachable_hint` (the sandbox's "is it
 * running?", or a configured provider's own), which cli/report.ts says in
 * place of the network hint: the resolved provider is known here, not there.
 */
import type { SessionDeps } from './deps'
import { TransportError, type HttpClient } from '../http/types'
import type { ResolvedProvider } from '../providers/types'

const hints = new WeakMap<TransportError, string>()

export async function providerHttp(provider: ResolvedProvider, deps: Pick<SessionDeps, 'http'>): Promise<HttpClient> {
  const client = await deps.http()
  const hint = provider.config.unreachable_hint
  if (hint === undefined) return client
  return async (url, init) => {
    try {
      return await client(url, init)
    } catch (err) {
      if (err instanceof TransportError && !hints.has(err)) hints.set(err, hint)
      throw err
    }
  }
}

/** The `unreachable_hint` of the provider a failed request was sent for; undefined when it has none. */
export function unreachableHintOf(err: TransportError): string | undefined {
  return hints.get(err)
}
