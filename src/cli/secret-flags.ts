/**
 * Options that would put a secret in argv, which SPEC deliberately does not
 * have ("a secret never travels in argv": other users see it in `ps`, and it
 * stays in shell history). Typed anyway, they get the way SPEC gives instead
 * of a bare "unknown option"; the value given is never repeated.
 */
import { envPrefix } from '../providers/resolve'

/** The pointer for `option` (its name, without any `=value`), or undefined when it is not one of these. */
export function secretFlagPointer(option: string, argv: readonly string[], command: string | undefined): string | undefined {
  const pointer = Object.hasOwn(SECRET_FLAGS, option) ? SECRET_FLAGS[option] : undefined
  return pointer?.(providerOf(argv, command))
}

interface Named {
  /** As typed (`acme`), or `<provider>`. */
  name: string
  /** `ACME`, or `<PROVIDER>`. */
  env: string
}

const ARGV_WARNING = 'a secret on the command line is visible to other processes and stays in shell history, so oauth-cli takes none there'

const clientSecret = (p: Named): string =>
  `${ARGV_WARNING}: pipe the client secret to --client-secret-stdin (printf '%s' "$CLIENT_SECRET" | oauth-cli login ${p.name} --client-secret-stdin), ` +
  `or set ${p.env}_CLIENT_SECRET (in the environment or a .env file)`

const token = (p: Named): string =>
  `${ARGV_WARNING}: store a token with printf '%s' "$TOKEN" | oauth-cli login ${p.name} --with-token, ` +
  `or give it to one command in OAUTH_CLI_${p.env}_TOKEN`

const SECRET_FLAGS: Readonly<Record<string, (p: Named) => string>> = {
  '--client-secret': clientSecret,
  '--secret': clientSecret,
  '--token': token,
  '--access-token': token,
  '--api-key': token,
  '--api-token': token,
  '--pat': token,
  '--password': (p) => `${token(p)}; the shared store's database password goes in PGPASSWORD or ~/.pgpass`,
  '--refresh-token': (p) =>
    `${ARGV_WARNING}: a refresh token comes from oauth-cli login ${p.name}; to bring a credential from another machine, ` +
    'pipe the bundle of oauth-cli export to oauth-cli import',
  '--passphrase': () => `${ARGV_WARNING}: set OAUTH_CLI_PASSPHRASE for the file store's (and the shared store's) encryption`,
}

/** The provider, when it is the word right after the command (never an option's value), for a runnable hint; else placeholders. */
function providerOf(argv: readonly string[], command: string | undefined): Named {
  const at = command === undefined ? -1 : argv.indexOf(command)
  const name = at < 0 ? undefined : argv[at + 1]
  return name !== undefined && /^[a-z0-9][\w.-]*$/i.test(name) ? { name, env: envPrefix(name) } : { name: '<provider>', env: '<PROVIDER>' }
}
