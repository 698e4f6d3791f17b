/** Writing output files (`call -o <file>`): the one adapter commands use for it. */
import { dirname, join, resolve } from 'node:path'

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
 * `-o`: a response body is not a secret the tool is keeping. A chunk is
 * written as it arrives when no write is in flight; chunks that arrive during
 * one are gathered into the next batch, written with one writev (no copying). Into a
 * regular file, each batch is written at its own offset, so up to
 * WRITES_IN_FLIGHT batches are written at once (the thread pool works while
 * the network fills the next one); anything else (a pipe, /dev/stdout) gets
 * one ordered write at a time. On a failed write the file is cut back to the
 * bytes before it, so what is left is always a prefix of the body.
 */
export const openOutputFile: OpenOutputFile = async (path) => {
  // node:fs, not node:fs/promises: the latter pulls in readline and streams.
  const fs = await import('node:fs')
  const fd = await new Promise<number>((resolve, reject) => fs.open(path, 'w', 0o644, (err, fd) => (err ? reject(err) : resolve(fd))))
  const regular = await new Promise<boolean>((resolve) => fs.fstat(fd, (err, st) => resolve(!err && st.isFile())))
  const limit = regular ? WRITES_IN_FLIGHT : 1
  let pending: Uint8Array[] = []
  let size = 0
  /** Where the next batch goes in the file. */
  let offset = 0
  let inFlight = 0
  /** The first failed write, and the offset the file is cut back to. */
  let failure: { err: unknown; at: number } | undefined
  /** Woken when a write settles. */
  let waiters: Array<() => void> = []
  const settled = (): void => {
    const woken = waiters
    waiters = []
    for (const wake of woken) wake()
  }
  const idle = (below: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (failure && inFlight === 0) return reject(failure.err)
        if (!failure && inFlight < below) return resolve()
        waiters.push(check)
      }
      check()
    })
  /** Writes every byte of `batch` at `at` (writev may take part of it). */
  const writeBatch = (batch: Uint8Array[], at: number, done: (err: unknown) => void): void => {
    fs.writev(fd, batch, regular ? at : null, (err, written) => {
      if (err) return done(err)
      const rest = dropBytes(batch, written)
      if (rest.length === 0) return done(undefined)
      writeBatch(rest, at + written, done)
    })
  }
  const flush = (): void => {
    if (size === 0) return
    const batch = pending
    const at = offset
    offset += size
    pending = []
    size = 0
    inFlight++
    writeBatch(batch, at, (err) => {
      inFlight--
      if (err !== undefined && (!failure || at < failure.at)) failure = { err, at }
      // What arrived during the write goes out now, not when more comes: a body that pauses is on disk up to the pause.
      if (!failure && inFlight === 0) flush()
      settled()
    })
  }
  return {
    write: (chunk): Promise<void> | undefined => {
      if (failure) return idle(0)
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      if (bytes.byteLength === 0) return undefined
      pending.push(bytes)
      size += bytes.byteLength
      // Nothing being written: out at once (issue 14, written as bytes arrive). While a write is in
      // flight the chunks gather into the next batch, so a fast body still goes in large writes.
      if (inFlight === 0) return void flush()
      if (size < WRITE_BATCH_BYTES) return undefined
      if (inFlight < limit) return void flush()
      // Back-pressure: a full batch waits until a write is done, then goes out while the next is gathered.
      return idle(limit).then(flush)
    },
    close: async () => {
      try {
        if (size > 0 && !failure) {
          await idle(limit)
          flush()
        }
        await idle(1)
      } catch (err) {
        const at = (failure as { at: number }).at
        if (regular) await new Promise<void>((resolve) => fs.ftruncate(fd, at, () => resolve()))
        throw err
      } finally {
        await new Promise<void>((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())))
      }
    },
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

/** How many batches may be written to a regular file at once (at most this many plus one are held). */
const WRITES_IN_FLIGHT = 2

/** Why an output path cannot be written (the message), and what to do instead (`fix`). */
export class OutputPathError extends Error {
  override name = 'OutputPathError'
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message)
  }
}

/**
 * Throws an OutputPathError when `path` cannot be written: its directory is
 * missing, not a directory, or not writable, or `path` is a directory.
 * Nothing is created or truncated.
 */
openOutputFile.check = async (path) => {
  const [{ access, stat }, { constants }] = await Promise.all([import('node:fs/promises'), import('node:fs')])
  const dir = dirname(resolve(path))
  const dirStat = await stat(dir).catch(() => undefined)
  if (!dirStat) throw new OutputPathError(`the directory ${dir} does not exist`, 'create the directory first, or pick another -o path')
  if (!dirStat.isDirectory()) throw new OutputPathError(`${dir} is not a directory`, 'pick another -o path')
  const fileStat = await stat(path).catch(() => undefined)
  if (fileStat?.isDirectory()) {
    throw new OutputPathError(`${path} is a directory`, `-o names the file to write: give a file name, such as -o ${join(path, 'body.json')}`)
  }
  await access(fileStat ? path : dir, constants.W_OK).catch(() => {
    throw new OutputPathError(`${fileStat ? path : dir} is not writable`, 'pick a path you may write to, or change its permissions')
  })
}
