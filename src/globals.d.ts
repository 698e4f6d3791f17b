/** Replaced at build time by scripts/build.mjs (and vitest's define). */
declare const __OAUTH_CLI_VERSION__: string
