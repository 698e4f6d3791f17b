/**
 * The fast build's file for the read-only listings (dist/fast-listing.cjs): the
 * same main() as src/main.ts, with `status`, `providers` and `profile` bundled
 * beside it, so that bin/oauth-cli.cjs starts a listing from this one file
 * instead of main.cjs and then this one. main.cjs still requires it for
 * tryFastListing when the bin's guess was another command (`--store file status`).
 */
export { main } from './main'
export { tryFastListing } from './cli/fast-listing'
