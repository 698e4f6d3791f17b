/** Writing output files (`call -o <file>`): the one adapter commands use for it. */
import { open } from 'node:fs/promises'

/** An output file being written chunk by chunk, as a response body arrives. */
export interface OutputFile {
  /** Resolves once the chunk is on its way to disk: the caller reads no faster than the disk writes. */
  write(chunk: string | Uint8Array): Promise<void>
  close(): Promise<void>
}

/** Opens `path` for `call -o`; injectable so tests need no disk. */
export type OpenOutputFile = (path: string) => Promise<OutputFile>

/**
 * Creates or truncates `path` with mode 0644 (before the umask), like curl's
 * `-o`: a response body is not a secret the tool is keeping.
 */
export const openOutputFile: OpenOutputFile = async (path) => {
  const handle = await open(path, 'w', 0o644)
  return {
    write: async (chunk) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      let offset = 0
      while (offset < bytes.byteLength) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset)
        offset += bytesWritten
      }
    },
    close: () => handle.close(),
  }
}
