/**
 * A certified OpenID provider (`oidc-provider`) running in-process on
 * 127.0.0.1 for the end-to-end tests, the way oauth4webapi's own end-to-end
 * tests run. Interactions finish by themselves (login and consent for one
 * account), so a `$BROWSER` that only follows redirects completes a login, and
 * a device code is approved with two plain HTTP requests.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
// oidc-provider ships no type declarations; the members used here are typed below.
// @ts-expect-error TS7016: no declaration file for 'oidc-provider'
import { Provider as UntypedProvider } from 'oidc-provider'

/** The one end user; every interaction logs in as this account and grants what was asked. */
export const OIDC_ACCOUNT_ID = 'user-1'
/** A public client (no secret, PKCE required) for the CLI. */
export const OIDC_PUBLIC_CLIENT_ID = 'oauth-cli-e2e'
/** A confidential client (client_secret_basic) for introspection and the client credentials grant. */
export const OIDC_CONFIDENTIAL_CLIENT_ID = 'oauth-cli-e2e-confidential'

export interface OidcProviderOptions {
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtl?: number
}

/** What the provider reported through its events, in order. */
export interface OidcEvents {
  /** `grant_type` of every successful token endpoint request. */
  grants: string[]
  /** `error` of every failed token endpoint request. */
  grantErrors: string[]
  /** Grant ids revoked (by revocation, or by reuse of a rotated refresh token). */
  revokedGrants: string[]
}

/** RFC 7662 introspection response, as far as the tests read it. */
export interface Introspection {
  active: boolean
  client_id?: string
  sub?: string
  token_type?: string
  scope?: string
}

/**
 * The config entry of the public native-app client: endpoints come from
 * discovery, the entry names only the issuer.
 */
export function oidcEntry(op: Pick<RunningOidcProvider, 'issuer'>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: op.issuer,
    api_base_url: op.issuer,
    client_id: OIDC_PUBLIC_CLIENT_ID,
    token_endpoint_auth_method: 'none',
    scope: 'openid offline_access',
    // The client is a native app: any loopback port matches its registered URI (RFC 8252 §7.3).
    redirect_uri: 'http://127.0.0.1:0/callback',
    // OIDC Core §11: offline_access (so a refresh token) needs prompt=consent; oidc-provider drops it otherwise.
    authorization_params: { prompt: 'consent' },
    ...overrides,
  }
}

export interface RunningOidcProvider {
  /** `http://127.0.0.1:<port>`, also the origin of every endpoint. */
  issuer: string
  /** The confidential client's secret (for client_secret_basic). */
  confidentialClientSecret: string
  events: OidcEvents
  /** RFC 7662 introspection, authenticated as the confidential client. */
  introspect(token: string): Promise<Introspection>
  /** A refresh token grant sent directly as the public client: status and JSON body. */
  refreshDirectly(refreshToken: string): Promise<{ status: number; body: Record<string, unknown> }>
  /**
   * Approves a pending device authorization as a user would in a browser: GET the
   * verification page, POST the user code with its xsrf token and `confirm`, then
   * follow the redirects (keeping cookies) through the interaction to the success page.
   */
  approveDevice(verificationUri: string, userCode: string): Promise<void>
  close(): Promise<void>
}

/** The slice of oidc-provider's API this helper uses. */
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  on(event: string, listener: (...args: unknown[]) => void): void
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>
  Grant: {
    new (init: { accountId: string; clientId: string }): OidcGrant
    find(id: string): Promise<OidcGrant | undefined>
  }
}

interface InteractionDetails {
  grantId?: string
  params: Record<string, unknown>
}

interface OidcGrant {
  addOIDCScope(scope: string): void
  save(): Promise<string>
}

interface ProviderContext {
  oidc?: { params?: { grant_type?: unknown } }
}

const Provider = UntypedProvider as new (issuer: string, configuration: Record<string, unknown>) => OidcProvider

/** One EC key per test process: signing keys only sign ID tokens here, which the CLI keeps but never checks. */
let signingKey: Record<string, unknown> | undefined

function signingJwks(): { keys: Array<Record<string, unknown>> } {
  signingKey ??= {
    ...(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as Record<string, unknown>),
    kid: 'e2e',
    use: 'sig',
    alg: 'ES256',
  }
  return { keys: [signingKey] }
}

/**
 * Starts oidc-provider on 127.0.0.1 (port 0). The public client is a native
 * application, so its loopback redirect URI matches on any port, as RFC 8252
 * §7.3 asks: the CLI can listen on a free port of its choosing.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export async function startOidcProvider(options: OidcProviderOptions = {}): Promise<RunningOidcProvider> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const confidentialClientSecret = randomBytes(24).toString('base64url')
  const provider = new Provider(issuer, configuration(options, confidentialClientSecret))
  const events = recordEvents(provider)
  const handle = provider.callback()
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url?.startsWith('/interaction/')) {
      finishInteraction(provider, req, res).catch((err: unknown) => {
        res.statusCode = 500
        res.end(String(err))
      })
      return
    }
    handle(req, res)
  })
  const basic = `Basic ${Buffer.from(`${OIDC_CONFIDENTIAL_CLIENT_ID}:${confidentialClientSecret}`).toString('base64')}`
  return {
    issuer,
    confidentialClientSecret,
    events,
    introspect: async (token) => (await postForm(`${issuer}/token/introspection`, { token }, basic)).body as unknown as Introspection,
    refreshDirectly: (refreshToken) =>
      postForm(`${issuer}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: OIDC_PUBLIC_CLIENT_ID }),
    approveDevice: (verificationUri, userCode) => approveDevice(verificationUri, userCode),
    close: () => closeServer(server),
  }
}

function configuration(options: OidcProviderOptions, confidentialClientSecret: string): Record<string, unknown> {
  return {
    clients: [
      {
        client_id: OIDC_PUBLIC_CLIENT_ID,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        id_token_signed_response_alg: 'ES256',
      },
      {
        client_id: OIDC_CONFIDENTIAL_CLIENT_ID,
        client_secret: confidentialClientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [],
        grant_types: ['client_credentials'],
        response_types: [],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    adapter: createMemoryAdapter(),
    jwks: signingJwks(),
    cookies: { keys: [randomBytes(32).toString('hex')] },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true, allowedPolicy: isOwnToken },
      introspection: { enabled: true, allowedPolicy: mayIntrospect },
      deviceFlow: { enabled: true, userCodeInputSource: renderForm, successSource: renderDeviceSuccess },
      clientCredentials: { enabled: true },
    },
    ttl: { AccessToken: options.accessTokenTtl ?? 3600, ClientCredentials: 600, DeviceCode: 600, Grant: 3600, IdToken: 3600, Interaction: 600, RefreshToken: 86_400, Session: 3600 },
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
  }
}

interface OidcClient {
  clientId: string
  clientAuthMethod: string
}

interface OidcToken {
  clientId: string
}

interface KoaContext {
  body: unknown
}

function isOwnToken(_ctx: unknown, client: OidcClient, token: OidcToken): boolean {
  return token.clientId === client.clientId
}

/** The confidential client introspects any token (it plays the resource server); a public one only its own. */
function mayIntrospect(ctx: unknown, client: OidcClient, token: OidcToken): boolean {
  return client.clientAuthMethod !== 'none' || isOwnToken(ctx, client, token)
}

/** The device verification page is the provider's own form (xsrf and user code fields) and nothing else. */
function renderForm(ctx: KoaContext, form: string): void {
  ctx.body = `<!DOCTYPE html><title>device</title>${form}`
}

function renderDeviceSuccess(ctx: KoaContext): void {
  ctx.body = DEVICE_APPROVED
}

const DEVICE_APPROVED = 'device approved'

type Payload = Record<string, unknown>

/**
 * oidc-provider's storage port, in a Map per provider: its own in-memory adapter
 * is shared by every provider in the process and warns on each start.
 */
function createMemoryAdapter(): new (model: string) => object {
  const store = new Map<string, { payload: Payload; expiresAt: number }>()
  const live = (key: string): Payload | undefined => {
    const entry = store.get(key)
    if (!entry) return undefined
    if (entry.expiresAt > Date.now()) return entry.payload
    store.delete(key)
    return undefined
  }
  return class MapAdapter {
    constructor(private readonly model: string) {}
    private key(id: string): string {
      return `${this.model}:${id}`
    }
    private findBy(field: string, value: string): Payload | undefined {
      const key = [...store.keys()].find((k) => k.startsWith(`${this.model}:`) && store.get(k)!.payload[field] === value)
      return key === undefined ? undefined : live(key)
    }
    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      store.set(this.key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity })
    }
    async find(id: string): Promise<Payload | undefined> {
      return live(this.key(id))
    }
    async findByUid(uid: string): Promise<Payload | undefined> {
      return this.findBy('uid', uid)
    }
    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      return this.findBy('userCode', userCode)
    }
    async consume(id: string): Promise<void> {
      const payload = live(this.key(id))
      if (payload) payload.consumed = Math.floor(Date.now() / 1000)
    }
    async destroy(id: string): Promise<void> {
      store.delete(this.key(id))
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      for (const [key, entry] of store) {
        if (key.startsWith(`${this.model}:`) && entry.payload.grantId === grantId) store.delete(key)
      }
    }
  }
}

function recordEvents(provider: OidcProvider): OidcEvents {
  const events: OidcEvents = { grants: [], grantErrors: [], revokedGrants: [] }
  provider.on('grant.success', (ctx) => events.grants.push(String((ctx as ProviderContext).oidc?.params?.grant_type)))
  provider.on('grant.error', (_ctx, err) => events.grantErrors.push(String((err as { error?: unknown }).error)))
  provider.on('grant.revoked', (_ctx, grantId) => events.revokedGrants.push(String(grantId)))
  return events
}

/** The user logs in as {@link OIDC_ACCOUNT_ID} and grants every requested OIDC scope, at once. */
async function finishInteraction(provider: OidcProvider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res)
  const clientId = String(details.params.client_id)
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined
  const grant = existing ?? new provider.Grant({ accountId: OIDC_ACCOUNT_ID, clientId })
  if (typeof details.params.scope === 'string') grant.addOIDCScope(details.params.scope)
  const grantId = await grant.save()
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: OIDC_ACCOUNT_ID }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  )
}

async function postForm(
  url: string,
  form: Record<string, string>,
  authorization?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }
  if (authorization) headers.authorization = authorization
  const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(form), signal: AbortSignal.timeout(10_000) })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

async function approveDevice(verificationUri: string, userCode: string): Promise<void> {
  const browser = createCookieBrowser()
  const page = await browser.request(verificationUri)
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(await page.text())?.[1]
  if (page.status !== 200 || !xsrf) throw new Error(`device verification page: HTTP ${page.status} without an xsrf field`)
  let res = await browser.request(verificationUri, { xsrf, user_code: userCode, confirm: 'yes' })
  for (let hops = 0; isRedirect(res.status) && hops < 10; hops++) {
    res = await browser.request(new URL(res.headers.get('location')!, res.url).href)
  }
  const body = await res.text()
  if (res.status !== 200 || body !== DEVICE_APPROVED) {
    throw new Error(`device approval ended with HTTP ${res.status} at ${new URL(res.url).pathname}`)
  }
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400
}

/** Just enough of a browser for oidc-provider's session and interaction cookies: one host, path-scoped. */
function createCookieBrowser(): { request(url: string, form?: Record<string, string>): Promise<Response> } {
  const jar = new Map<string, { value: string; path: string }>()
  return {
    async request(url, form) {
      const { pathname } = new URL(url)
      const cookie = [...jar]
        .filter(([, c]) => pathname.startsWith(c.path))
        .map(([name, c]) => `${name}=${c.value}`)
        .join('; ')
      const res = await fetch(url, {
        method: form ? 'POST' : 'GET',
        redirect: 'manual',
        headers: { ...(cookie ? { cookie } : {}), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        ...(form ? { body: new URLSearchParams(form) } : {}),
        signal: AbortSignal.timeout(10_000),
      })
      for (const line of res.headers.getSetCookie()) storeCookie(jar, line)
      // fetch with redirect: 'manual' leaves res.url as the request URL, which resolves a relative Location.
      return Object.defineProperty(res, 'url', { value: url })
    },
  }
}

function storeCookie(jar: Map<string, { value: string; path: string }>, line: string): void {
  const [pair = '', ...attributes] = line.split(';').map((s) => s.trim())
  const eq = pair.indexOf('=')
  const name = pair.slice(0, eq)
  const value = pair.slice(eq + 1)
  const attr = (key: string): string | undefined =>
    attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1)
  const expires = attr('expires')
  if (!value || (expires !== undefined && Date.parse(expires) <= Date.now())) jar.delete(name)
  else jar.set(name, { value, path: attr('path') ?? '/' })
}

function closeServer(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()))
    server.closeAllConnections()
  })
}
