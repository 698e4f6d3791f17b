/**
 * The small file-system idioms the file store and the lock file share: an
 * operation on a path that may not exist, a private directory, an errno.
 * Each caller keeps its own messages (`fail`), so only the idiom is shared.
 */
import type { Stats } from 'node:fs'
import { StoreError } from './credential-store'

/** The `code` of a Node file-system error (ENOENT, EACCES…), if it has one. */
export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code
}

/** What `op` gives, or `absent` when the path does not exist (ENOENT); any other failure goes through `fail`. */
export async function unlessMissing<T, A>(op: () => Promise<T>, absent: A, fail: (err: unknown) => Error): Promise<T | A> {
  try {
    return await op()
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return absent
    throw fail(err)
  }
}

/** `mkdir -p -m 0700`: only the owner may list or enter it (the modes of existing parents are left alone). */
export async function mkdirPrivate(
  mkdir: (path: string, options: { recursive: true; mode: number }) => Promise<unknown>,
  dir: string,
  fail: (err: unknown) => Error,
): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw fail(err)
  }
}

/** `cannot <verb> <path>: permission denied` (or the errno said in words): a StoreError as it is. */
export function fsError(verb: string, path: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err
  const code = errnoCode(err)
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ENOSPC' || code === 'EDQUOT'
        ? `no space left on the device (${code})`
        : code === 'EROFS'
          ? 'read-only file system (EROFS)'
          : (code ?? String(err))
  return new StoreError('io', path, `cannot ${verb} ${path}: ${why}`, { cause: err })
}

/**
 * What sits at a path that should hold a regular file, for a message that
 * names it ("… is a FIFO"), and the command that removes it.
 */
export function nonRegularFile(stats: Stats, path: string): { what: string; rm: string } {
  const what = stats.isFIFO()
    ? 'a FIFO'
    : stats.isDirectory()
      ? 'a directory'
      : stats.isSocket()
        ? 'a socket'
        : stats.isCharacterDevice() || stats.isBlockDevice()
          ? 'a device file'
          : 'not a regular file'
  return { what, rm: `${stats.isDirectory() ? 'rm -r' : 'rm'} ${path}` }
}
