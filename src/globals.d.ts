/** Replaced at build time by scripts/build.mjs (and vitest's define). */
declare const __OAUTH_CLI_VERSION__: string

/** Every command's --help text, precomputed by scripts/build.mjs for the fast path (null elsewhere). */
declare const __OAUTH_CLI_HELP__: Readonly<Record<string, string>> | null
