/**
 * Which environment variables hold secrets: the tool's own
 * (`OAUTH_CLI_PASSPHRASE`, `<P>_CLIENT_SECRET`, `OAUTH_CLI_<P>_TOKEN`, `PGPASSWORD`
 * for the shared store) and, by name, anything that looks like a credential.
 * One rule, used twice: these values are redacted wherever they would be shown,
 * and they are removed from the environment of every child process the tool
 * starts (the `$BROWSER` command, the `open` helper).
 */
import type { Env } from './process'

/** Name parts (after upper-casing) that mark a variable as secret. */
const SECRET_NAME = /(SECRET|PASSWORD|PASSPHRASE|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|(^|_)PGPASS)/

/** A URL with a password in it (`postgres://user:pw@host/db`): the whole value is a secret (the password is group 1). */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:([^/@\s]+)@/i

function isSecretEnvName(name: string): boolean {
  return SECRET_NAME.test(name.toUpperCase())
}

/** Whether this variable carries a secret, by its name or (a connection URL with a password) by its value. */
function isSecretEnvEntry(name: string, value: string | undefined): boolean {
  if (value === undefined || value === '') return false
  // A proxy URL with credentials is the user's own, and the browser needs it to reach the provider.
  if (/_PROXY$/i.test(name)) return false
  return isSecretEnvName(name) || URL_WITH_PASSWORD.test(value)
}

/** The secret values of an environment, for redaction. */
export function secretEnvValues(env: Env): string[] {
  const values: string[] = []
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !isSecretEnvEntry(name, value)) continue
    values.push(value)
    const password = URL_WITH_PASSWORD.exec(value)?.[1]
    if (password) values.push(password, safeDecode(password))
  }
  return values
}

/** The environment for a child process: everything but the secrets. */
export function childEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !isSecretEnvEntry(name, value)) out[name] = value
  }
  return out
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
