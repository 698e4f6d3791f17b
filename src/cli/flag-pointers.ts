/**
 * Options a user brings from curl or from other tools that the tool spells
 * differently or leaves out on purpose: a pointer to the way it does instead
 * of a bare "unknown option" (SPEC, "Conventions a user of gh and curl
 * brings"). Among them, options that would put a secret in argv, which SPEC
 * deliberately does not have ("a secret never travels in argv": other users
 * see it in `ps`, and it stays in shell history); the value given is never
 * repeated.
 */
import { envPrefix } from '../providers/resolve'

export interface FlagPointer {
  /** Replaces "unknown option" when the tool refuses the option on purpose: the reason comes first. */
  refused: string | undefined
  /** What to type instead (runnable with the provider argv names, when it names one). */
  hint: string
}

/** The pointer for `option` (its name, without any `=value`), or undefined when it is not in the table. */
export function flagPointer(option: string, argv: readonly string[], command: string | undefined): FlagPointer | undefined {
  const row = Object.hasOwn(FLAG_POINTERS, option) ? FLAG_POINTERS[option] : undefined
  return row && { refused: row.refused, hint: row.hint(providerOf(argv, command), argv.every((a) => a.startsWith('-'))) }
}

interface Named {
  /** As typed (`acme`), or `<provider>`. */
  name: string
  /** `ACME`, or `<PROVIDER>`. */
  env: string
}

interface Row {
  refused?: string | undefined
  /** `flagsOnly`: argv has options only, no command or argument (`oauth-cli -v`). */
  hint: (p: Named, flagsOnly: boolean) => string
}

/** A row whose hint names no provider. */
const say = (hint: string, refused?: string): Row => ({ refused, hint: () => hint })

const NO_REDIRECTS = say(
  "a 3xx answer is printed as it came (add -i to see its Location); call that URL yourself if it is on the provider's API",
  '-L (follow redirects) is refused: credentials never follow a redirect to another place',
)
const NO_G = say('query parameters are -q name=value (repeatable, URL-encoded); there is no -G')
const NO_INSECURE = say('certificates are always verified; to trust a private CA: --cacert <file>')
const NO_USER = say(
  "credentials come from the store (oauth-cli login <provider>, or --with-token); to send your own for one request: -H 'Authorization: …'",
)
const DATA = say('use -d (text, @file or @- for stdin), sent as it is')
const HEAD = say('for the status line and headers: -i (with -X HEAD for no body)')
const USER_AGENT = say("use -H 'User-Agent: …'")

const ARGV_WARNING = 'a secret on the command line is visible to other processes and stays in shell history, so oauth-cli takes none there'

const tokenHint = (p: Named): string =>
  `${ARGV_WARNING}: store a token with printf '%s' "$TOKEN" | oauth-cli login ${p.name} --with-token, ` +
  `or give it to one command in OAUTH_CLI_${p.env}_TOKEN`

const CLIENT_SECRET: Row = {
  hint: (p) =>
    `${ARGV_WARNING}: pipe the client secret to --client-secret-stdin (printf '%s' "$CLIENT_SECRET" | oauth-cli login ${p.name} --client-secret-stdin), ` +
    `or set ${p.env}_CLIENT_SECRET (in the environment or a .env file)`,
}
const TOKEN: Row = { hint: tokenHint }

/** Option name → what the tool says about it. */
const FLAG_POINTERS: Readonly<Record<string, Row>> = {
  // Alone, -v is what node and npm print their version with; after a command, curl's trace.
  '-v': {
    hint: (_p, flagsOnly) =>
      flagsOnly
        ? 'did you mean "--version" (-V)? (for the HTTP trace: --verbose)'
        : 'did you mean "--verbose"? (-v is curl\'s; here the HTTP trace is --verbose, every secret redacted)',
  },
  '-L': NO_REDIRECTS,
  '--location': NO_REDIRECTS,
  '--location-trusted': NO_REDIRECTS,
  '-G': NO_G,
  '--get': NO_G,
  '--data-urlencode': say('use -q name=value for a URL-encoded query parameter, or -d for a body'),
  '--data-raw': DATA,
  '--data-binary': DATA,
  '-k': NO_INSECURE,
  '--insecure': NO_INSECURE,
  '-u': NO_USER,
  '--user': NO_USER,
  '-I': HEAD,
  '--head': HEAD,
  '-A': USER_AGENT,
  '--user-agent': USER_AGENT,
  '--client-secret': CLIENT_SECRET,
  '--secret': CLIENT_SECRET,
  '--token': TOKEN,
  '--access-token': TOKEN,
  '--api-key': TOKEN,
  '--api-token': TOKEN,
  '--pat': TOKEN,
  '--password': { hint: (p) => `${tokenHint(p)}; the shared store's database password goes in PGPASSWORD or ~/.pgpass` },
  '--refresh-token': {
    hint: (p) =>
      `${ARGV_WARNING}: a refresh token comes from oauth-cli login ${p.name}; to bring a credential from another machine, ` +
      'pipe the bundle of oauth-cli export to oauth-cli import',
  },
  '--passphrase': say(`${ARGV_WARNING}: set OAUTH_CLI_PASSPHRASE for the file store's (and the shared store's) encryption`),
}

/** The provider, when it is the word right after the command (never an option's value), for a runnable hint; else placeholders. */
function providerOf(argv: readonly string[], command: string | undefined): Named {
  const at = command === undefined ? -1 : argv.indexOf(command)
  const name = at < 0 ? undefined : argv[at + 1]
  return name !== undefined && /^[a-z0-9][\w.-]*$/i.test(name) ? { name, env: envPrefix(name) } : { name: '<provider>', env: '<PROVIDER>' }
}
