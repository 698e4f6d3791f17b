/**
 * Property tests of the config loader: whatever the file holds, loading it
 * gives a config or a ConfigError, never another error, and a valid entry
 * always loads as written.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadConfigFile } from '../../../src/providers/config-file'
import { ConfigError } from '../../../src/providers/errors'
import { PROVIDER_CONFIG_KEYS } from '../../../src/providers/schema'
import type { ProviderConfig } from '../../../src/providers/types'

const PATH = '/home/dev/.config/oauth-cli/config.json'

/** Resolves to the config, or to the rejection reason. */
async function outcome(text: string): Promise<unknown> {
  return loadConfigFile(PATH, async () => text).then(
    (config) => config,
    (err: unknown) => err,
  )
}

async function expectConfigOrConfigError(text: string): Promise<void> {
  const result = await outcome(text)
  if (result instanceof Error) expect(result, String(result)).toBeInstanceOf(ConfigError)
  else expect(result).toMatchObject({ path: PATH, exists: true })
}

/** Entries whose keys are real config keys, so validation goes past the unknown-key check. */
const knownKeysEntry = fc.dictionary(fc.constantFrom(...PROVIDER_CONFIG_KEYS), fc.jsonValue(), { maxKeys: 6 })
const providerName = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/)

describe('loadConfigFile on any input', () => {
  it('resolves or rejects with ConfigError for any string', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary' }), expectConfigOrConfigError), { numRuns: 300 })
  })

  it('resolves or rejects with ConfigError for any JSON text', async () => {
    await fc.assert(fc.asyncProperty(fc.json(), expectConfigOrConfigError), { numRuns: 300 })
  })

  it('resolves or rejects with ConfigError for any JSON value as a provider entry', async () => {
    const entry = fc.oneof(fc.jsonValue(), knownKeysEntry)
    const providers = fc.oneof(fc.jsonValue(), fc.dictionary(fc.oneof(providerName, fc.string()), entry, { maxKeys: 3 }))
    await fc.assert(
      fc.asyncProperty(providers, (value) => expectConfigOrConfigError(JSON.stringify({ providers: value }))),
      { numRuns: 300 },
    )
  })

  it('never quotes a client secret from a damaged file in its message', async () => {
    const secret = fc.stringMatching(/^cs-[0-9a-f]{16}$/)
    // V8 quotes the source around an unexpected token, so damage near the secret matters most.
    const near = fc.integer({ min: -4, max: 4 })
    const damage = fc.constantFrom('delete', 'insert', 'truncate')
    await fc.assert(
      fc.asyncProperty(secret, fc.oneof(near, fc.nat()), damage, async (clientSecret, offset, how) => {
        const text = JSON.stringify({ providers: { acme: { client_id: 'id-1', client_secret: clientSecret } } }, null, 2)
        const at = Math.abs(text.indexOf(clientSecret) + offset) % text.length
        const rest = how === 'truncate' ? '' : how === 'delete' ? text.slice(at + 1) : `x${text.slice(at)}`
        const damaged = text.slice(0, at) + rest
        const result = await outcome(damaged)
        const hex = clientSecret.slice(3)
        if (!(result instanceof Error)) return
        for (let i = 0; i + 6 <= hex.length; i++) expect(result.message).not.toContain(hex.slice(i, i + 6))
      }),
      { numRuns: 300 },
    )
  })
})

const httpsUrl = fc.webUrl({ validSchemes: ['https'], withQueryParameters: false, withFragments: false })
const loopbackUrl = fc.constantFrom('http://127.0.0.1:8080/token', 'http://localhost/oauth/token', 'http://[::1]:9000/t')
const endpoint = fc.oneof(httpsUrl, loopbackUrl)
const nonBlank = fc.string({ minLength: 1 }).filter((s) => s.trim() !== '')
const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/)

/** A provider entry the schema must accept, with any subset of the optional fields. */
const validEntry: fc.Arbitrary<ProviderConfig> = fc.record(
  {
    issuer: httpsUrl,
    authorization_endpoint: endpoint,
    token_endpoint: endpoint,
    revocation_endpoint: endpoint,
    device_authorization_endpoint: endpoint,
    api_base_url: endpoint,
    client_id: nonBlank,
    client_secret: nonBlank,
    token_endpoint_auth_method: fc.constantFrom('client_secret_basic', 'client_secret_post', 'none'),
    scope: fc.string(),
    redirect_uri: fc.oneof(httpsUrl, fc.constant('http://127.0.0.1:8765/callback')),
    authorization_params: fc.dictionary(fc.constantFrom('prompt', 'audience', 'access_type', 'login_hint'), fc.string()),
    token_request_encoding: fc.constantFrom('form', 'json'),
    display_name: nonBlank,
    revocation_style: fc.constantFrom('rfc7009', 'delete_bearer'),
    code_challenge_method: fc.constantFrom('S256', 'none'),
    default_login: fc.constantFrom('oauth', 'static'),
    api_headers: fc.dictionary(headerName, fc.string().filter((v) => !/[\r\n\0]/.test(v)), { maxKeys: 3 }),
    pagination: fc.constantFrom('jsonapi_page', 'cursor', 'next_page_id', 'link'),
    docs_url: httpsUrl,
    unverified: nonBlank,
    static_credential: fc.oneof(
      fc.record(
        { format: nonBlank, scheme: fc.constantFrom('basic', 'raw', 'bearer'), docs_url: httpsUrl },
        { requiredKeys: ['format', 'scheme'] },
      ),
      fc.record({ format: nonBlank, scheme: fc.constant('header_pair'), headers: fc.tuple(headerName, headerName) }),
    ),
  },
  { requiredKeys: [] },
)

describe('loadConfigFile on a valid config', () => {
  it('always loads a generated valid provider entry as written', async () => {
    await fc.assert(
      fc.asyncProperty(providerName, validEntry, async (name, entry) => {
        const result = await outcome(JSON.stringify({ providers: { [name]: entry } }))
        expect(result).toEqual({ path: PATH, exists: true, providers: { [name]: entry } })
      }),
      { numRuns: 200 },
    )
  })
})
