import { statSync } from 'node:fs'

/**
 * True when nothing is at `path` (ENOENT; or ENOTDIR, a file where a directory
 * should be), told by a stat that returns instead of an open that throws: each
 * thrown ENOENT costs ~30 µs at start-up, and a fresh `token` looks for two
 * files that are usually absent (profiles.json, `.env`). Anything else (EACCES
 * on a directory above) is false: the read that follows says what is wrong.
 */
export function nothingAt(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) === undefined
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOTDIR'
  }
}
