/**
 * Reading a file that decides where secrets go: `.env` in the working
 * directory, picked up unasked, which may set a provider's client id and
 * secret, and the config file, which names the endpoints that refresh tokens
 * and client secrets are sent to. Each is read only when the user could have
 * put it there and nobody else could have changed it; a working directory is
 * often not the user's own (/tmp, a checkout, a build dir), and a `.env` there
 * is often not ours at all (a Python virtualenv is commonly called `.env`).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, type Stats } from 'node:fs'
import { nothingAt } from './absent'

/** What reading an unasked file found: its text, nothing there, or a file left unread and why. */
export type TrustedRead = { text: string } | { missing: true } | { directory: true } | { skipped: string; hint: string; denied?: true }

/** A `.env` is a handful of lines and a config file a few KB: anything bigger is not one (and is not read into memory). */
export const TRUSTED_FILE_MAX_BYTES = 1 << 20

/**
 * Reads `path` only if it is a regular file (a FIFO would hang the read, a
 * device such as /dev/zero never end) of at most `maxBytes`, owned by the user
 * or root, that no other user can write (othersCanWrite). The checks are made
 * on the open descriptor, so the file cannot be swapped between check and
 * read; the open does not block (O_NONBLOCK) nor take a terminal (O_NOCTTY).
 * A directory is said as such (for `.env`, a virtualenv: no file by that name at all).
 */
export function readTrustedTextFile(path: string, maxBytes = TRUSTED_FILE_MAX_BYTES): TrustedRead {
  if (nothingAt(path)) return { missing: true }
  let fd: number
  try {
    fd = openWithoutBlocking(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true }
    if (code === 'EISDIR') return { directory: true }
    if (code === 'EACCES' || code === 'EPERM') return { skipped: 'you cannot read it (permission denied)', hint: `chmod u+r ${path}, or remove it`, denied: true }
    throw err
  }
  try {
    const stats = fstatSync(fd)
    if (stats.isDirectory()) return { directory: true }
    const distrust = distrustOf(stats, path, maxBytes)
    if (distrust) return distrust
    // Checked, so read whole (a regular file only its owner or root can write); as text, which costs less than bytes.
    return { text: readFileSync(fd, 'utf8') }
  } finally {
    closeSync(fd)
  }
}

/**
 * Opens `path` for reading without waiting: a FIFO opens at once (O_NONBLOCK)
 * instead of hanging until a writer comes, a terminal is not taken
 * (O_NOCTTY), and with `noFollow` a symlink there fails (ELOOP) instead of
 * being followed. The caller checks what it opened on the descriptor (fstat:
 * a regular file, whose owner and mode it trusts) before reading it with
 * {@link readOpenFile}.
 */
export function openWithoutBlocking(path: string, noFollow = false): number {
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0)
  return openSync(path, noFollow ? flags | (constants.O_NOFOLLOW ?? 0) : flags)
}

/** The text of an open regular file of `size` bytes (its fstat's), in as many reads as it takes. */
export function readOpenFile(fd: number, size: number): string {
  const bytes = Buffer.allocUnsafe(size)
  let read = 0
  for (let n = -1; n !== 0 && read < bytes.length; read += n) n = readSync(fd, bytes, read, bytes.length - read, read)
  return bytes.toString('utf8', 0, read)
}

function distrustOf(stats: Stats, path: string, maxBytes: number): { skipped: string; hint: string } | undefined {
  if (!stats.isFile()) return { skipped: 'it is not a regular file', hint: `remove it, or make ${path} a file` }
  if (stats.size > maxBytes) return { skipped: `it is larger than ${maxBytes} bytes`, hint: `check that ${path} is the file you meant` }
  // Windows has no POSIX owner or mode bits (its ACLs are left to the OS).
  if (typeof process.geteuid !== 'function' || typeof process.getegid !== 'function') return undefined
  const euid = process.geteuid()
  if (stats.uid !== euid && stats.uid !== 0) {
    return { skipped: `it is owned by uid ${stats.uid}, neither you (uid ${euid}) nor root`, hint: `if it is yours, chown ${euid} ${path}; otherwise remove it (it may have been planted)` }
  }
  if (othersCanWrite(stats, euid, process.getegid())) {
    const mode = (stats.mode & 0o777).toString(8).padStart(3, '0')
    return { skipped: `it is writable by ${stats.mode & 0o002 ? 'every user' : 'its group'} (mode ${mode})`, hint: `chmod go-w ${path}` }
  }
  return undefined
}

/**
 * Writable by another user: by every user, or by a group other than the
 * owner's own. A file or directory the user owns with their primary group (a
 * user private group: where umask 002 is the default, as on Fedora and RHEL,
 * files are 0664) lets nobody else in. For a directory, a sticky bit keeps
 * others from replacing what is not theirs: the caller weighs that.
 */
export function othersCanWrite(stats: Pick<Stats, 'mode' | 'uid' | 'gid'>, euid: number, egid: number): boolean {
  if ((stats.mode & 0o002) !== 0) return true
  if ((stats.mode & 0o020) === 0) return false
  return !(stats.uid === euid && stats.gid === egid)
}
