/**
 * Static credentials (`login --with-token`, and Tidio's default key pair):
 * read, check the shape, and turn into request headers the provider's
 * documented way (shared/SPEC.md, "Static credentials").
 */
import type { SessionDeps } from './deps'
import type { ResolvedProvider, StaticCredentialSpec, ValueSource } from '../providers/types'
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
    return checkClientPair(provider, provider.client_id, provider.client_secret)
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
  // Before anything else looks at it (a whole file piped in by mistake): nothing stored, nothing replaced.
  if (value.length > MAX_STATIC_CREDENTIAL_LENGTH) {
    throw new InputError(`the input is far too long to be a ${spec.format} for ${provider.name} (over ${MAX_STATIC_CREDENTIAL_LENGTH / 1024} KiB)`, hint)
  }
  if (/\s/.test(value)) {
    throw new InputError(`the ${spec.format} for ${provider.name} contains white space; paste it on one line`, hint)
  }
  const needsPair = spec.scheme === 'basic' || spec.scheme === 'header_pair'
  const at = value.indexOf(':')
  if (needsPair && (at <= 0 || at === value.length - 1)) {
    throw new InputError(`${provider.name} expects ${spec.format} (two parts joined by ':')`, hint)
  }
  const unsendable = unsendableReason(value, spec)
  if (unsendable !== undefined) throw new InputError(`the ${spec.format} for ${provider.name} ${unsendable}`, hint)
  return value
}

/**
 * Far past any real token or key pair (PATs and API keys are under 1 KiB, JWTs a few), and past what servers take in a
 * header (8-16 KiB is usual): such input is a mistake, never sent.
 */
const MAX_STATIC_CREDENTIAL_LENGTH = 16 * 1024

/** C0 and C1 controls and DEL. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
/** RFC 9110 field-vchar without obs-text, white space already refused: what a header value can carry as given. */
const VISIBLE_ASCII = /^[\x21-\x7e]*$/

/**
 * Why a credential could never be sent the provider's way, or undefined. Sent
 * as a header value as it is (Bearer, raw, a header pair), it must be visible
 * ASCII (RFC 6750 b64token, RFC 9110 field-value: Node refuses anything above
 * U+00FF and sends Latin-1 as single bytes, never the UTF-8 pasted). Basic
 * sends base64 of the UTF-8 text (RFC 7617 §2.1 allows any character there
 * but controls): any text without them is sent intact, as LiveChat's
 * ACCOUNT_ID:PAT (a UUID and an ASCII token) always is.
 */
export function unsendableReason(value: string, spec: StaticCredentialSpec): string | undefined {
  if (spec.scheme === 'basic') return CONTROL.test(value) ? 'holds control characters' : undefined
  return VISIBLE_ASCII.test(value) ? undefined : 'holds characters that cannot be sent in an HTTP header (only visible ASCII can)'
}

/**
 * A header pair from its two sources (Tidio's TIDIO_CLIENT_ID/_SECRET), stored as ID:SECRET and split at the first
 * ':' when sent: an id holding ':' would be sent as another id and secret, so it is refused (Tidio's ids, ci_…, hold
 * none; keeping it would need another stored form than the ID:SECRET a paste and OAUTH_CLI_TIDIO_TOKEN use). Messages name where each value came from, never the value.
 */
function checkClientPair(provider: ResolvedProvider, id: string, secret: string): string {
  const check = (value: string, field: 'ID' | 'SECRET', source: ValueSource): void => {
    const variable = `${provider.env_prefix}_CLIENT_${field}`
    const where = describeSource(variable, field, source)
    const fix = fixHint(variable, field, source)
    if (/\s/.test(value)) throw new InputError(`${where} contains white space`, fix)
    if (field === 'ID' && value.includes(':')) {
      throw new InputError(`${where} contains ":", which would split it into another id and secret when sent (the pair is kept as ID:SECRET)`, fix)
    }
    if (!VISIBLE_ASCII.test(value)) throw new InputError(`${where} holds characters that cannot be sent in an HTTP header (only visible ASCII can)`, fix)
  }
  check(id, 'ID', provider.client_id_source)
  check(secret, 'SECRET', provider.client_secret_source)
  return `${id}:${secret}`
}

function describeSource(variable: string, field: 'ID' | 'SECRET', source: ValueSource): string {
  switch (source) {
    case 'flag':
      return field === 'ID' ? 'the --client-id given' : 'the client secret given on stdin'
    case 'dotenv':
      return `${variable} (from ./.env)`
    case 'config':
    case 'built-in':
      return `the client_${field.toLowerCase()} in the config file`
    default:
      return variable
  }
}

function fixHint(variable: string, field: 'ID' | 'SECRET', source: ValueSource): string {
  const what = field === 'ID' ? 'the client id' : 'the client secret'
  switch (source) {
    case 'flag':
      return `pass ${what} alone, as the provider shows it`
    case 'dotenv':
      return `set ${variable} in ./.env to ${what} alone, on one line`
    case 'config':
    case 'built-in':
      return `set client_${field.toLowerCase()} in the config file to ${what} alone`
    default:
      return `set ${variable} to ${what} alone, as the provider shows it`
  }
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
