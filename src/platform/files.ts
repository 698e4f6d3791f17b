/** Writing output files (`call -o <file>`): the one adapter commands use for it. */
import { writeFile } from 'node:fs/promises'

/** Writes `data` to `path` for `call -o`; injectable so tests need no disk. */
export type WriteOutputFile = (path: string, data: string | Uint8Array) => Promise<void>

/**
 * Creates or truncates `path` with mode 0644 (before the umask), like curl's
 * `-o`: a response body is not a secret the tool is keeping.
 */
export const writeOutputFile: WriteOutputFile = async (path, data) => {
  await writeFile(path, data, { mode: 0o644 })
}
