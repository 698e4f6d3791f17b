/** Writing output files (`call -o <file>`): the one adapter commands use for it. */
import { dirname, resolve } from 'node:path'
import type { FileHandle } from 'node:fs/promises'

/** An output file being written chunk by chunk, as a response body arrives. */
export interface OutputFile {
  /**
   * Takes the chunk (into the next write): undefined, or, when the caller must
   * wait for the disk before the next one, a promise that resolves once it may
   * go on (rejects on a failed write).
   */
  write(chunk: string | Uint8Array): Promise<void> | undefined
  close(): Promise<void>
}

/**
 * Opens `path` for `call -o`; injectable so tests need no disk. `check`, when
 * there, says before the request is sent whether the file could be written.
 */
export type OpenOutputFile = ((path: string) => Promise<OutputFile>) & { check?: (path: string) => Promise<void> }

/**
 * Creates or truncates `path` with mode 0644 (before the umask), like curl's
 * `-o`: a response body is not a secret the tool is keeping. Chunks are
 * gathered into batches written with one writev each (no copying), and one
 * batch is written while the next is gathered, so the disk and the network
 * work at the same time; at most two batches are held.
 */
export const openOutputFile: OpenOutputFile = async (path) => {
  // Loaded with -o only: node:fs/promises pulls in readline and streams.
  const { open } = await import('node:fs/promises')
  const handle = await open(path, 'w', 0o644)
  let pending: Uint8Array[] = []
  let size = 0
  /** The batch being written, if any; a failure surfaces on the next write or close. */
  let writing: Promise<void> | undefined
  const flush = (): Promise<void> => {
    const batch = pending
    pending = []
    size = 0
    const previous = writing
    const current = (async () => {
      await previous
      await writeAll(handle, batch)
    })()
    writing = current
    return current
  }
  return {
    write: (chunk): Promise<void> | undefined => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      if (bytes.byteLength === 0) return undefined
      pending.push(bytes)
      size += bytes.byteLength
      if (size < WRITE_BATCH_BYTES) return undefined
      const start = (): void => void flush().catch(() => undefined)
      if (!writing) return void start()
      // Back-pressure: a full batch waits for the one in flight, then goes out while the next is gathered.
      return writing.then(start)
    },
    close: async () => {
      try {
        if (size > 0) await flush()
        else await writing
      } finally {
        await handle.close()
      }
    },
  }
}

/** Writes every byte of `batch` (writev may take part of it). */
async function writeAll(handle: FileHandle, batch: Uint8Array[]): Promise<void> {
  let rest = batch
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest)
    rest = dropBytes(rest, bytesWritten)
  }
}

function dropBytes(chunks: Uint8Array[], count: number): Uint8Array[] {
  let left = count
  let i = 0
  while (i < chunks.length && left >= (chunks[i] as Uint8Array).byteLength) left -= (chunks[i++] as Uint8Array).byteLength
  const rest = chunks.slice(i)
  if (left > 0 && rest.length > 0) rest[0] = (rest[0] as Uint8Array).subarray(left)
  return rest
}

/** How much is gathered before one write to disk. */
const WRITE_BATCH_BYTES = 1024 * 1024

/**
 * Throws (an Error naming the reason) when `path` cannot be written: its
 * directory is missing, not a directory, or not writable, or `path` is a
 * directory. Nothing is created or truncated.
 */
openOutputFile.check = async (path) => {
  const [{ access, stat }, { constants }] = await Promise.all([import('node:fs/promises'), import('node:fs')])
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
