/**
 * Where new tokens go when the store cannot take them: the provider issued them
 * (and may have spent the old refresh token), so dropping them would lose the
 * grant. They are written whole, as an `oauth-cli export` bundle, to a new
 * private file (0600, O_EXCL) in the first directory that takes it; the caller
 * names that file, never its content. The name carries the pid and a random
 * suffix besides the second, so rescues of one credential never clash (a clash
 * is tried again under a new suffix, in the same directory): only a directory
 * that cannot be written sends the file to the next one.
 */
import { join } from 'node:path'
import { resolvePaths } from '../platform/paths'
import { encodeFileNamePart } from '../store/codec'
import type { StoredCredential } from '../store/credential-store'
import { encodeBundle } from './bundle'

export interface RescueContext {
  env: Readonly<Record<string, string | undefined>>
  homedir: string
  now: number
}

/** Names tried per directory before a clash counts as the directory failing (each one is 64 random bits). */
const NAMES_PER_DIR = 4

/** The path written, or undefined when no candidate directory took the file. */
export async function rescueCredential(credential: StoredCredential, ctx: RescueContext): Promise<string | undefined> {
  // node:crypto, not platform/unique-name's randomHex: the last directory tried is the shared /tmp, where a name
  // others could guess would let them take every candidate first.
  const [{ mkdir, open, rm }, { tmpdir }, { randomBytes }] = await Promise.all([import('node:fs/promises'), import('node:os'), import('node:crypto')])
  const stamp = new Date(ctx.now).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')
  const prefix = `rescued-${encodeFileNamePart(credential.provider)}@${encodeFileNamePart(credential.profile)}-${stamp}-${process.pid}`
  const paths = resolvePaths(ctx.env, ctx.homedir)
  const dirs = [paths.dataDir, paths.stateDir, ctx.homedir, tmpdir()]
  const content = `${encodeBundle(credential)}\n`
  for (const dir of dirs) {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 })
    } catch {
      continue
    }
    for (let i = 0; i < NAMES_PER_DIR; i++) {
      const path = join(dir, `${prefix}-${randomBytes(8).toString('hex')}.bundle`)
      const written = await writeNew({ open, rm }, path, content)
      if (written === 'written') return path
      if (written === 'failed') break
    }
  }
  return undefined
}

/** Creates `path` (never over an existing file), writes and syncs it: 'exists' when the name was taken. */
async function writeNew(
  { open, rm }: Pick<typeof import('node:fs/promises'), 'open' | 'rm'>,
  path: string,
  content: string,
): Promise<'written' | 'exists' | 'failed'> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, 'wx', 0o600)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EEXIST' ? 'exists' : 'failed'
  }
  let written = false
  try {
    await handle.writeFile(content, 'utf8')
    await handle.sync()
    written = true
  } catch {
    // a full disk: tried in the next directory
  } finally {
    await handle.close().catch(() => undefined)
  }
  if (written) return 'written'
  // A partial file would hold part of a secret: not left behind.
  await rm(path, { force: true }).catch(() => undefined)
  return 'failed'
}
