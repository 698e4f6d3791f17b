/**
 * The secret values this process knows, so that each is redacted whole wherever
 * it turns up: in error text (a server's error_description quoting the refresh
 * token), in the `--verbose` trace (an API echoing a header back), with or
 * without a prefix the patterns would stop at (LiveChat's `dal:…`). Filled from
 * the environment at start-up, from every credential the store reads or writes,
 * and from every request sent (what its credential headers, secret-named
 * headers, query and body fields carry).
 */

/** Shorter values are not remembered: a 3-character "secret" would blank out ordinary words. */
const MIN_LENGTH = 6

export interface KnownSecrets {
  add(...values: ReadonlyArray<string | undefined | null>): void
  /** Longest first, so a token is replaced before a shorter secret inside it. */
  values(): readonly string[]
}

/**
 * `initial` may be a function, called on the first `values()`: the
 * environment's secrets are only needed once something is redacted, and
 * finding them (a few regular expressions compiled) costs a fast answer ~0.3 ms.
 */
export function createKnownSecrets(initial: readonly string[] | (() => readonly string[]) = []): KnownSecrets {
  const known = new Set<string>()
  let sorted: string[] | undefined
  let pending: (() => readonly string[]) | undefined
  const secrets: KnownSecrets = {
    add: (...values) => {
      for (const value of values) {
        if (typeof value !== 'string') continue
        const trimmed = value.trim()
        if (trimmed.length >= MIN_LENGTH && !known.has(trimmed)) {
          known.add(trimmed)
          sorted = undefined
        }
      }
    },
    values: () => {
      if (pending) {
        const found = pending()
        pending = undefined
        secrets.add(...found)
      }
      return (sorted ??= [...known].sort((a, b) => b.length - a.length))
    },
  }
  if (typeof initial === 'function') pending = initial
  else secrets.add(...initial)
  return secrets
}

/** The secret parts of a stored credential. */
export function credentialSecrets(credential: {
  access_token?: string
  refresh_token?: string
  client_secret?: string
  kind?: string
}): string[] {
  const values = [credential.access_token, credential.refresh_token, credential.client_secret]
  // A static `ID:SECRET` pair travels split in two headers (or as Basic): both halves are secret.
  if (credential.kind === 'static' && credential.access_token?.includes(':')) values.push(...credential.access_token.split(':'))
  return values.filter((v): v is string => typeof v === 'string')
}
