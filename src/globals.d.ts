/** Replaced at build time by scripts/build.mjs (and vitest's define). */
declare const __OAUTH_CLI_VERSION__: string

/**
 * The file (beside the fast build's main.cjs) holding every command's --help text, precomputed by
 * scripts/build.mjs for the fast path as a JSON object keyed by command (null elsewhere).
 */
declare const __OAUTH_CLI_HELP__: string | null
