/**
 * A directory that is the user's alone: the file store's credentials
 * directory and the lock files' directory are held to one rule (shared/SPEC.md
 * "Credentials"): owned by the user, writable by no one else, reached directly
 * or through a symlink that is the user's too, and through directories above
 * that belong to the user or root and that no one else can write. A directory
 * that breaks it is refused (StoreError 'insecure', exit 2) with how to fix it,
 * and nothing in it is read or written. Files are written into one whole
 * (writePrivateFile): 0600 from creation, never through a link planted there.
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { othersCanWrite } from '../platform/trusted-file'
import { randomHex } from '../platform/unique-name'
import { StoreError } from './credential-store'
import { errnoCode, fsError } from './fs-ops'

/** How messages name a directory this module guards, and where the user can point it elsewhere. */
export interface PrivateDirName {
  /** `credentials directory`, `locks directory`… */
  what: string
  /** The variable that moves it: `XDG_DATA_HOME`. */
  base: string
}

/** Windows has no POSIX owner or mode bits to check (its ACLs are left to the OS). */
export const CHECK_OWNERSHIP = process.platform !== 'win32' && typeof process.geteuid === 'function'

/**
 * The directory's own stats once it passed (through a symlink: the target's),
 * undefined when it does not exist yet. Refuses one another user could write,
 * or that the user does not own, reached directly or through a symlink (the
 * link itself must be ours too), or reached through a directory another user
 * could write (checkAncestors).
 */
export function guardPrivateDir(dir: string, name: PrivateDirName): Stats | undefined {
  let link: Stats
  try {
    link = lstatSync(dir)
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined
    throw fsError('read', dir, err)
  }
  if (!CHECK_OWNERSHIP) return link
  const euid = (process.geteuid as () => number)()
  if (link.isSymbolicLink() && link.uid !== euid) {
    throw insecure(dir, `${dir} is a symbolic link owned by uid ${link.uid}, not by you (uid ${euid})`, `remove the link (rm ${dir}) and log in again`)
  }
  let target: Stats
  try {
    target = link.isSymbolicLink() ? statSync(dir) : link
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined
    throw fsError('read', dir, err)
  }
  if (!target.isDirectory()) throw insecure(dir, `${dir} is not a directory`, `move it away (mv ${dir} ${dir}.bak) and log in again`)
  checkPrivate(dir, target, `the ${name.what}`, 'directory')
  checkAncestors(dir, link.isSymbolicLink(), name)
  return target
}

/**
 * Whoever can write a directory above ours can move it away and put one of
 * theirs in its place between two runs. So every directory above it, up to /,
 * on the path as given and on its real path (when a link leads elsewhere),
 * must belong to the user or to root and be writable by no one else
 * (othersCanWriteDir: a sticky bit, as /tmp's, keeps others from renaming what
 * is not theirs). A link on the way needs only a trusted owner: its own mode
 * bits mean nothing.
 */
function checkAncestors(dir: string, dirIsLink: boolean, name: PrivateDirName): void {
  const given = resolve(dir)
  // Unless the directory itself is a link, what lies above it is its parent's business alone: the credentials
  // directory and the locks directory beside it share one walk.
  const walked = dirIsLink ? given : `${dirname(given)}/`
  if (ancestorsChecked.has(walked)) return
  const linked = checkAbove(given, dir, name)
  if (linked || dirIsLink) {
    let real: string
    try {
      real = realpathSync.native(given)
    } catch (err) {
      throw fsError('read', dir, err)
    }
    checkAbove(real, dir, name)
  }
  ancestorsChecked.add(walked)
}

/**
 * Directories whose ancestors passed in this process: a refresh reaches the
 * store four times (read, the read under the lock, the write check, the
 * write) and the locks directory once, and walking up to / each time bought
 * nothing the first walk had not.
 */
const ancestorsChecked = new Set<string>()

/** Checks each directory above `path`; true when one of them is a link (so the real path differs). */
function checkAbove(path: string, dir: string, name: PrivateDirName): boolean {
  const euid = (process.geteuid as () => number)()
  let linked = false
  for (let parent = dirname(path); ; parent = dirname(parent)) {
    let stats: Stats
    try {
      stats = lstatSync(parent)
    } catch (err) {
      throw fsError('read', parent, err)
    }
    if (stats.uid !== euid && stats.uid !== 0) {
      throw insecure(parent, `${parent}, above the ${name.what} ${dir}, is owned by uid ${stats.uid}, neither you (uid ${euid}) nor root`, `set ${name.base} to a directory of your own`)
    }
    if (stats.isSymbolicLink()) linked = true
    else if (othersCanWriteDir(stats, euid)) {
      const mode = (stats.mode & 0o777).toString(8).padStart(3, '0')
      const who = stats.mode & 0o002 ? 'every user' : 'its group'
      throw insecure(parent, `${parent}, above the ${name.what} ${dir}, is writable by ${who} (mode ${mode})`, `chmod go-w ${parent}, or set ${name.base} to a private directory`)
    }
    if (dirname(parent) === parent) return linked
  }
}

/**
 * A directory another user can write (platform/trusted-file.ts), unless its
 * sticky bit keeps them from renaming what is not theirs.
 */
function othersCanWriteDir(stats: Stats, euid: number): boolean {
  return (stats.mode & 0o1000) === 0 && othersCanWrite(stats, euid, (process.getegid as () => number)())
}

/**
 * A private directory checked (guardPrivateDir), and made first (`mkdir -p`,
 * 0700) when it is not there yet, then checked again: its stats once it
 * passed, or undefined if it vanished meanwhile. Checked first, as most calls
 * find it there: a mkdir of what exists is system calls for nothing. A failed
 * mkdir goes through `fail`.
 */
export function ensurePrivateDir(dir: string, name: PrivateDirName, fail: (err: unknown) => Error = (err) => fsError('create', dir, err)): Stats | undefined {
  const found = guardPrivateDir(dir, name)
  if (found) return found
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw fail(err)
  }
  return guardPrivateDir(dir, name)
}

/** Refuses `path` (`the credentials file …`) unless the user owns it and no group or other user can write it. */
export function checkPrivate(path: string, stats: Stats, described: string, what: 'file' | 'directory'): void {
  const euid = (process.geteuid as () => number)()
  if (stats.uid !== euid) {
    throw insecure(
      path,
      `${described} ${path} is owned by uid ${stats.uid}, not by you (uid ${euid})`,
      what === 'directory'
        ? `if it is yours, chown -R ${euid} ${path} && chmod 700 ${path}; otherwise move it away`
        : `if it is yours, chown ${euid} ${path} && chmod 600 ${path}; otherwise remove it (it may have been planted)`,
    )
  }
  if ((stats.mode & 0o022) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(3, '0')
    throw insecure(
      path,
      `${described} ${path} is writable by ${stats.mode & 0o002 ? 'every user' : 'its group'} (mode ${mode})`,
      what === 'directory' ? `chmod 700 ${path}` : `chmod 600 ${path}, after checking that its content is yours`,
    )
  }
}

export function insecure(path: string, message: string, fix: string): StoreError {
  return new StoreError('insecure', path, `${message}, so it was not used; to fix it: ${fix}`)
}

/**
 * Temp file in the same directory (0600 from creation, O_EXCL: never through a
 * link planted at its name), fsync, rename over `name` (which replaces a link
 * there rather than following it), fsync the directory.
 */
export async function writePrivateFile(dir: string, name: string, data: string): Promise<void> {
  const target = join(dir, name)
  const temp = join(dir, `.${name}.${randomHex(6)}.tmp`)
  try {
    const fd = openSync(temp, 'wx', 0o600)
    try {
      writeFileSync(fd, data, 'utf8')
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    await renameWithRetry(async (from, to) => renameSync(from, to), temp, target)
  } catch (err) {
    try {
      unlinkSync(temp)
    } catch {
      // not made, or already gone
    }
    throw fsError('write', target, err)
  }
  syncDir(dir)
}

/**
 * On Windows a rename over a file another process has open for reading fails
 * with EPERM/EACCES/EBUSY for a moment (parallel `token` calls read it); try
 * again briefly, as graceful-fs does, instead of failing a refresh's save.
 */
async function renameWithRetry(
  rename: (from: string, to: string) => Promise<void>,
  from: string,
  to: string,
): Promise<void> {
  for (let waited = 0; ; ) {
    try {
      return await rename(from, to)
    } catch (err) {
      const code = errnoCode(err)
      if (waited >= 1_000 || (code !== 'EPERM' && code !== 'EACCES' && code !== 'EBUSY')) throw err
      const pause = Math.min(100, 10 + waited)
      await new Promise((resolve) => setTimeout(resolve, pause))
      waited += pause
    }
  }
}

/** Makes a rename or unlink durable. Not every platform can open a directory (Windows), which is fine. */
export function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch {
    // best effort: the rename itself is already atomic
  }
}
