/**
 * Static credentials (`login --with-token`, and Tidio's default key pair):
 * read, check the shape, and turn into request headers the provider's
 * documented way (shared/SPEC.md, "Static credentials").
 */
import type { SessionDeps } from './deps'
import type { ResolvedProvider, StaticCredentialSpec } from '../providers/types'
import type { StoredCredential } from '../store/credential-store'
import { InputError } from './errors'

const BEARER_SPEC: StaticCredentialSpec = { format: 'TOKEN', scheme: 'bearer' }

export function staticSpec(provider: ResolvedProvider): StaticCredentialSpec {
  return provider.config.static_credential ?? BEARER_SPEC
}

/**
 * Where the credential comes from: the client id/secret pair from flags, env or
 * .env for `header_pair` providers (Tidio) when both are set; else stdin (a
 * pipe), else a hidden prompt on a terminal.
 */
export async function readStaticCredential(
  provider: ResolvedProvider,
  deps: SessionDeps,
  options: { fromClientPair: boolean },
): Promise<string> {
  const spec = staticSpec(provider)
  if (options.fromClientPair && spec.scheme === 'header_pair' && provider.client_id && provider.client_secret) {
    return checkStaticCredential(provider, `${provider.client_id}:${provider.client_secret}`)
  }
  const text = deps.io.stdinIsTTY
    ? await deps.io.readLine(`${provider.name} ${spec.format}: `, { hidden: true })
    : await deps.io.readStdin()
  return checkStaticCredential(provider, text)
}

export function checkStaticCredential(provider: ResolvedProvider, raw: string): string {
  const spec = staticSpec(provider)
  const value = raw.trim()
  const hint = pairHint(provider, spec)
  if (value === '') {
    throw new InputError(`no ${spec.format} was given for ${provider.name}`, hint)
  }
  if (/\s/.test(value)) {
    throw new InputError(`the ${spec.format} for ${provider.name} contains white space; paste it on one line`, hint)
  }
  const needsPair = spec.scheme === 'basic' || spec.scheme === 'header_pair'
  const at = value.indexOf(':')
  if (needsPair && (at <= 0 || at === value.length - 1)) {
    throw new InputError(`${provider.name} expects ${spec.format} (two parts joined by ':')`, hint)
  }
  return value
}

function pairHint(provider: ResolvedProvider, spec: StaticCredentialSpec): string {
  const base = `run: printf '%s' '${spec.format}' | oauth-cli login ${provider.name} --with-token`
  if (spec.scheme !== 'header_pair') return base
  return `set ${provider.env_prefix}_CLIENT_ID and ${provider.env_prefix}_CLIENT_SECRET, or ${base}`
}

/** The headers that carry a stored credential on an API call. */
export function credentialHeaders(provider: ResolvedProvider, credential: StoredCredential): Record<string, string> {
  if (credential.kind === 'oauth') {
    return { authorization: `${normaliseScheme(credential.token_type)} ${credential.access_token}` }
  }
  const spec = staticSpec(provider)
  const value = credential.access_token
  switch (spec.scheme) {
    case 'basic':
      return { authorization: `Basic ${Buffer.from(value, 'utf8').toString('base64')}` }
    case 'raw':
      return { authorization: value }
    case 'bearer':
      return { authorization: `Bearer ${value}` }
    case 'header_pair': {
      const [idHeader, secretHeader] = spec.headers ?? ['X-Client-Id', 'X-Client-Secret']
      const at = value.indexOf(':')
      return { [idHeader.toLowerCase()]: value.slice(0, at), [secretHeader.toLowerCase()]: value.slice(at + 1) }
    }
    default: {
      const never: never = spec.scheme
      throw new Error(`unknown static credential scheme ${String(never)}`)
    }
  }
}

/** `bearer` → `Bearer`; DPoP and others keep their case. @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1 */
function normaliseScheme(tokenType: string): string {
  return tokenType === '' || tokenType.toLowerCase() === 'bearer' ? 'Bearer' : tokenType
}
