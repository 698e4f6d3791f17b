/**
 * Where new tokens go when the store cannot take them: the provider issued them
 * (and may have spent the old refresh token), so dropping them would lose the
 * grant. They are written whole, as an `oauth-cli export` bundle, to a new
 * private file (0600, O_EXCL) in the first directory that takes it; the caller
 * names that file, never its content.
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

/** The path written, or undefined when no candidate directory took the file. */
export async function rescueCredential(credential: StoredCredential, ctx: RescueContext): Promise<string | undefined> {
  const [{ mkdir, open }, { tmpdir }] = await Promise.all([import('node:fs/promises'), import('node:os')])
  const stamp = new Date(ctx.now).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')
  const name = `rescued-${encodeFileNamePart(credential.provider)}@${encodeFileNamePart(credential.profile)}-${stamp}.bundle`
  const stateHome = ctx.env.XDG_STATE_HOME || join(ctx.homedir, '.local', 'state')
  const dirs = [resolvePaths(ctx.env, ctx.homedir).dataDir, join(stateHome, 'oauth-cli'), ctx.homedir, tmpdir()]
  for (const dir of dirs) {
    const path = join(dir, name)
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const handle = await open(path, 'wx', 0o600)
      try {
        await handle.writeFile(`${encodeBundle(credential)}\n`, 'utf8')
        await handle.sync()
      } finally {
        await handle.close()
      }
      return path
    } catch {
      // next directory
    }
  }
  return undefined
}
