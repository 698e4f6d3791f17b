/** Shared set-up for the `call` tests: a provider in the config file, a stored credential, recorded HTTP. */
import type { HttpClient } from '../../../src/http/types'
import type { CallOptions } from '../../../src/cli/commands/call'
import type { ProviderConfig } from '../../../src/providers/types'
import type { StoredCredential } from '../../../src/store/credential-store'
import { makeTestDeps, MemoryStore } from '../../fakes'
import { ACME, stored } from '../session/helpers'

export function callOptions(overrides: Partial<CallOptions> = {}): CallOptions {
  return {
    profile: 'default', json: false, verbose: false, store: 'auto',
    provider: 'acme', target: '/things', headers: [], query: [], include: false, paginate: false, ndjson: false,
    ...overrides,
  }
}

/** A static credential for a built-in provider (never refreshed), or acme's OAuth one. */
export function credentialFor(provider: string): StoredCredential {
  if (provider === 'acme') return stored({ expires_at: '2026-01-01T05:00:00Z' })
  const token = provider === 'tidio' ? 'ci_1234:cs_5678' : provider === 'livechat' ? 'acct-1:pat-9999' : 'ls-api-token-0000'
  return stored({ provider, kind: 'static', access_token: token, token_type: 'static', refresh_token: undefined, expires_at: undefined })
}

export async function callDeps(
  provider: string,
  http: HttpClient,
  options: { tty?: boolean; color?: boolean; config?: Record<string, ProviderConfig> } = {},
) {
  const store = new MemoryStore()
  await store.set(credentialFor(provider))
  const config = JSON.stringify({ providers: options.config ?? { acme: ACME } })
  const deps = makeTestDeps({
    store,
    http,
    readTextFile: async (path) => (path.endsWith('config.json') ? config : undefined),
  })
  deps.io.stdout.isTTY = options.tty ?? false
  deps.io.color = options.color ?? false
  return { deps, store }
}

/** Removes SGR colour sequences. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '')
}
