/** Writing output files (`call -o <file>`): the one adapter commands use for it. */
import { constants } from 'node:fs'
import { access, open, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'

/** An output file being written chunk by chunk, as a response body arrives. */
export interface OutputFile {
  /** Resolves once the chunk is taken (written, or gathered into the next write): the caller reads no faster than the disk writes. */
  write(chunk: string | Uint8Array): Promise<void>
  close(): Promise<void>
}

/**
 * Opens `path` for `call -o`; injectable so tests need no disk. `check`, when
 * there, says before the request is sent whether the file could be written.
 */
export type OpenOutputFile = ((path: string) => Promise<OutputFile>) & { check?: (path: string) => Promise<void> }

/**
 * Creates or truncates `path` with mode 0644 (before the umask), like curl's
 * `-o`: a response body is not a secret the tool is keeping.
 */
export const openOutputFile: OpenOutputFile = async (path) => {
  const handle = await open(path, 'w', 0o644)
  // Small network chunks are gathered into fewer, larger writes (a fraction of the syscalls).
  let pending: Uint8Array[] = []
  let size = 0
  const flush = async (): Promise<void> => {
    if (size === 0) return
    const bytes = pending.length === 1 ? (pending[0] as Uint8Array) : Buffer.concat(pending, size)
    pending = []
    size = 0
    let offset = 0
    while (offset < bytes.byteLength) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset)
      offset += bytesWritten
    }
  }
  return {
    write: async (chunk) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      pending.push(bytes)
      size += bytes.byteLength
      if (size >= WRITE_BATCH_BYTES) await flush()
    },
    close: async () => {
      try {
        await flush()
      } finally {
        await handle.close()
      }
    },
  }
}

/** How much is gathered before one write to disk. */
const WRITE_BATCH_BYTES = 1024 * 1024

/**
 * Throws (an Error naming the reason) when `path` cannot be written: its
 * directory is missing, not a directory, or not writable, or `path` is a
 * directory. Nothing is created or truncated.
 */
openOutputFile.check = async (path) => {
  const dir = dirname(resolve(path))
  const dirStat = await stat(dir).catch(() => undefined)
  if (!dirStat) throw new Error(`the directory ${dir} does not exist`)
  if (!dirStat.isDirectory()) throw new Error(`${dir} is not a directory`)
  const fileStat = await stat(path).catch(() => undefined)
  if (fileStat?.isDirectory()) throw new Error(`${path} is a directory`)
  await access(fileStat ? path : dir, constants.W_OK).catch(() => {
    throw new Error(`${fileStat ? path : dir} is not writable`)
  })
}
