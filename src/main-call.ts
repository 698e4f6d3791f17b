/**
 * The fast build's file for `call` (dist/fast-commands.cjs): the same main() as
 * src/main.ts, with the fast call bundled beside it, so that bin/oauth-cli.cjs
 * starts a call from this one file instead of main.cjs and then this one.
 * main.cjs still requires it for tryFastCall when the bin's guess was another
 * command (`--profile work call …`).
 */
export { main } from './main'
export { tryFastCall } from './cli/fast-commands'
