/**
 * Where `call` may send a provider's credential: only to the provider's own
 * origins (scheme, host and port of its api_base_url and endpoints). A path is
 * joined to api_base_url and must stay on its origin: a path that names another
 * host (`//host`, `\\host`, `/\host`), or hides one behind characters URL
 * parsers drop or rewrite (tab, CR, LF and other controls, backslashes), is
 * refused before any request is sent and before any refresh.
 * @see shared/SPEC.md, "Also in the tool": credentials only to the provider's own origins
 * @see https://url.spec.whatwg.org/#concept-basic-url-parser (controls removed, `\` read as `/`)
 */
import type { ResolvedProvider } from '../providers/types'
import { InputError } from './errors'

/** C0 controls, space-like DEL, and C1 controls: the URL parser strips or rewrites some of them. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** Each resolved provider's origins, worked out once: every page of `--paginate` is checked against them. */
const originsOf = new WeakMap<ResolvedProvider, ReadonlySet<string>>()

/** The origins the provider's credential may go to. */
export function providerOrigins(provider: ResolvedProvider): ReadonlySet<string> {
  const known = originsOf.get(provider)
  if (known) return known
  const c = provider.config
  const origins = new Set<string>()
  for (const value of [c.api_base_url, c.issuer, c.authorization_endpoint, c.token_endpoint, c.revocation_endpoint]) {
    if (!value) continue
    try {
      origins.add(new URL(value).origin)
    } catch {
      // validated by the provider schema
    }
  }
  originsOf.set(provider, origins)
  return origins
}

/**
 * The URL `call` sends to for `target` (a path, or an absolute URL on one of
 * the provider's origins). Throws InputError (exit 2) for anything that is not
 * on an allowed origin.
 */
export function resolveApiUrl(target: string, provider: ResolvedProvider): URL {
  const base = provider.config.api_base_url
  const url = /^https?:\/\//i.test(target) ? parseAbsolute(target, provider) : joinPath(target, provider, base)
  requireProviderOrigin(url, provider)
  return url
}

/** The last check before a credential leaves: also run on every request `call` sends (pages included). */
export function requireProviderOrigin(url: URL, provider: ResolvedProvider): void {
  if (!providerOrigins(provider).has(url.origin)) {
    throw new InputError(
      `refusing to send ${provider.name} credentials to ${url.origin}, which is not one of its origins`,
      `use a path relative to ${provider.config.api_base_url ?? 'the api_base_url'}, or set api_base_url for ${provider.name} in the config file`,
    )
  }
}

function parseAbsolute(target: string, provider: ResolvedProvider): URL {
  if (CONTROL.test(target)) throw controlCharacter(target, provider)
  try {
    return new URL(target)
  } catch {
    throw new InputError(`"${target}" is not a valid URL`, `pass a path such as /v1/things, or a full https:// URL on ${provider.name}'s API`)
  }
}

function joinPath(target: string, provider: ResolvedProvider, base: string | undefined): URL {
  if (!base) {
    throw new InputError(
      `${provider.name} has no api_base_url, so "${target}" cannot be resolved`,
      `pass a full URL, or set api_base_url for ${provider.name} in the config file`,
    )
  }
  if (CONTROL.test(target)) throw controlCharacter(target, provider)
  if (target.includes('\\')) {
    throw new InputError(
      `the path ${JSON.stringify(target)} has a backslash, which URL parsers read as "/" and could send ${provider.name}'s credentials to another host`,
      'use forward slashes; percent-encode a literal backslash as %5C',
    )
  }
  if (target.startsWith('//')) {
    throw new InputError(
      `the path ${JSON.stringify(target)} starts with //, which names another host; ${provider.name}'s credentials stay on ${new URL(base).origin}`,
      `pass a path such as /v1/things, or a full URL on one of ${provider.name}'s own origins`,
    )
  }
  const baseUrl = new URL(base)
  const basePath = baseUrl.pathname.replace(/\/+$/, '')
  const path = target.startsWith('/') ? target : `/${target}`
  // `call livestorm /v1/events` and `call livestorm /events` both mean the same thing.
  const joined = basePath && (path === basePath || path.startsWith(`${basePath}/`)) ? path : `${basePath}${path}`
  const url = new URL(joined, baseUrl.origin)
  // By construction it cannot leave; checked all the same, since a credential rides on it.
  if (url.origin !== baseUrl.origin) {
    throw new InputError(`the path ${JSON.stringify(target)} would leave ${baseUrl.origin}; refusing to send ${provider.name}'s credentials`)
  }
  return url
}

function controlCharacter(target: string, provider: ResolvedProvider): InputError {
  return new InputError(
    `the path ${JSON.stringify(target)} has a control character (tab, newline, …), which URL parsers drop and could send ${provider.name}'s credentials to another host`,
    'remove it, or percent-encode it (%09 for a tab)',
  )
}
