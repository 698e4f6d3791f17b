/**
 * The file store: one JSON file per credential under
 * `<dir>/credentials/<provider>@<profile>.json` (each part percent-encoded by
 * {@link encodeFileNamePart}), directory 0700, files 0600. Used where no OS
 * keychain answers, or on request (shared/SPEC.md "Credentials").
 *
 * With a passphrase every file is an AES-256-GCM envelope whose key comes from
 * scrypt with a random salt (a write reuses the salt of what the process just
 * read, so a refresh derives one key); the KDF parameters travel in the envelope
 * so they can be raised later without breaking old files.
 */
import { byCodeUnits } from '../platform/sort'
import { randomHex } from '../platform/unique-name'
import { openWithoutBlocking } from '../platform/trusted-file'
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fstatSync,
  fsync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs'
import { join } from 'node:path'
import {
  decodeFileNamePart,
  describeKey,
  encodeFileNamePart,
  matchesKey,
  parseCredential,
  serializeCredential,
  validateCredential,
  type ParseResult,
} from './codec'
import {
  StoreError,
  type CredentialKey,
  type CredentialStore,
  type StoreLookup,
  type StoredCredential,
} from './credential-store'
import { parseJsonOrUndefined } from '../platform/json'
import { errnoCode, fsError as ioError, nonRegularFile, unlessMissing } from './fs-ops'
import { CHECK_OWNERSHIP, checkPrivate, ensurePrivateDir, guardPrivateDir, insecure, syncDir, writePrivateFile, type PrivateDirName } from './private-dir'

export interface FileStoreOptions {
  /** `$XDG_DATA_HOME/oauth-cli`; credentials go in its `credentials` subdirectory. */
  dir: string
  /** `OAUTH_CLI_PASSPHRASE`: when set, files are written encrypted. */
  passphrase?: string
  /** One-line notices (a plaintext file read while a passphrase is set); none by default. */
  notice?: (line: string) => void
  /**
   * What is said once because it changed what is on disk (a credential file or directory others could
   * read, made private): written at once, never held back by a fast path; default `notice`.
   */
  noticeOnce?: (line: string) => void
}

/**
 * scrypt cost for new files: N=2^14, r=8 (16 MiB) derives a key in roughly
 * 30 ms, cheap enough for every `token` call yet far from free to brute-force.
 * @see https://www.rfc-editor.org/rfc/rfc7914#section-2
 */
export const SCRYPT_COST = { n: 2 ** 14, r: 8, p: 1 } as const

/**
 * What an envelope may ask for: a little above what the tool writes, so a later
 * raise stays readable, and far below what a tampered file could use to make
 * every `token` take gigabytes and minutes (128·n·r bytes, time ∝ n·r·p).
 */
export const SCRYPT_LIMITS = { minLogN: 10, maxLogN: 16, maxR: 8, maxP: 2 } as const

/** The on-disk shape of an encrypted credential. Binary fields are base64. */
export interface EncryptedEnvelope {
  oauth_cli_encrypted: 1
  kdf: 'scrypt'
  n: number
  r: number
  p: number
  salt: string
  iv: string
  tag: string
  ciphertext: string
}

const SUBDIR = 'credentials'

/** Opens the file store rooted at `options.dir`. Nothing is created until the first write. */
export function createFileStore(options: FileStoreOptions): CredentialStore {
  const root = join(options.dir, SUBDIR)
  const box = options.passphrase ? createPassphraseBox(options.passphrase) : undefined
  const reported = new Set<string>()
  const say: Say = options.noticeOnce ?? options.notice ?? (() => undefined)
  const decode = (text: string, path: string, key: CredentialKey): Promise<StoredCredential> =>
    decodeFile(text, path, key, box, (plain) => {
      if (!options.notice || reported.has(plain)) return
      reported.add(plain)
      options.notice(
        `oauth-cli: ${plain} is not encrypted although OAUTH_CLI_PASSPHRASE is set; it will be encrypted the next time it is written (e.g. oauth-cli refresh ${key.provider})`,
      )
    })
  return {
    kind: 'file',
    location: root,
    async get(key) {
      const path = join(root, fileNameFor(key))
      if (!guardDir(root, say)) return { status: 'missing' } satisfies StoreLookup
      const text = await readIfExists(path, key, say)
      if (text === undefined) return { status: 'missing' } satisfies StoreLookup
      return { status: 'found', credential: await decode(text, path, key) }
    },
    async set(credential) {
      const plain = serializeCredential(credential)
      const data = box ? `${JSON.stringify(await box.seal(plain), null, 2)}\n` : plain
      await ensureDir(root, say)
      await writePrivateFile(root, fileNameFor(credential), data)
    },
    async delete(key) {
      const path = join(root, fileNameFor(key))
      if (!guardDir(root, say)) return false
      const removed = await unlinkIfExists(path)
      if (removed) syncDir(root)
      return removed
    },
    list: (listOptions) => listDir(root, decode, listOptions?.onUnreadable, say),
    async checkWritable(_key, bytes) {
      await ensureDir(root, say)
      await probeWrite(root, bytes)
    },
  }
}

function fileNameFor(key: CredentialKey): string {
  return `${encodeFileNamePart(key.provider)}@${encodeFileNamePart(key.profile)}.json`
}

/** Undefined for temp files and anything else that is not a credential file name. */
function keyFromFileName(name: string): CredentialKey | undefined {
  const match = /^([^.@][^@]*)@([^@]+)\.json$/.exec(name)
  if (!match) return undefined
  const provider = decodeFileNamePart(match[1] ?? '')
  const profile = decodeFileNamePart(match[2] ?? '')
  return provider && profile ? { provider, profile } : undefined
}

type Decode = (text: string, path: string, key: CredentialKey) => Promise<StoredCredential>

async function listDir(
  root: string,
  decode: Decode,
  onUnreadable: ((err: StoreError) => void) | undefined,
  say: Say,
): Promise<StoredCredential[]> {
  let names: string[]
  try {
    if (!guardDir(root, say)) return []
    names = readdirSync(root)
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return []
    throw ioError('read', root, err)
  }
  const found = await Promise.all(
    names.map(async (name) => {
      const key = keyFromFileName(name)
      if (!key) return undefined
      const path = join(root, name)
      try {
        const text = await readIfExists(path, key, say)
        return text === undefined ? undefined : await decode(text, path, key)
      } catch (err) {
        if (!onUnreadable || !(err instanceof StoreError)) throw err
        onUnreadable(err)
        return undefined
      }
    }),
  )
  return found
    .filter((c): c is StoredCredential => c !== undefined)
    .sort((a, b) => byCodeUnits(a.provider, b.provider) || byCodeUnits(a.profile, b.profile))
}

/** Plain or encrypted file text → a validated credential that belongs under `key`. */
async function decodeFile(
  text: string,
  path: string,
  key: CredentialKey,
  box: PassphraseBox | undefined,
  onPlaintext: (path: string) => void,
): Promise<StoredCredential> {
  const value = parseJsonOrUndefined(text)
  if (value === undefined) throw corrupt(path, key, 'not valid JSON')
  let result: ParseResult
  if (isEnvelopeLike(value)) {
    const envelope = checkEnvelope(value)
    if (typeof envelope === 'string') throw corrupt(path, key, envelope)
    if (!box) {
      throw new StoreError(
        'bad_passphrase',
        path,
        `credentials for ${describeKey(key)} in ${path} are encrypted: set OAUTH_CLI_PASSPHRASE to read them`,
        { key },
      )
    }
    result = parseCredential(await box.open(envelope, path, key))
  } else {
    result = validateCredential(value)
    if (box && result.ok) onPlaintext(path)
  }
  if (!result.ok) throw corrupt(path, key, result.reason)
  if (!matchesKey(result.credential, key)) {
    throw corrupt(path, key, 'it holds the credentials of another provider or profile')
  }
  return result.credential
}

function corrupt(path: string, key: CredentialKey, reason: string): StoreError {
  return new StoreError(
    'corrupt',
    path,
    `stored credentials for ${describeKey(key)} in ${path} are unreadable (${reason}); the file was left as it is`,
    { key },
  )
}

export interface PassphraseBox {
  seal(plaintext: string): Promise<EncryptedEnvelope>
  open(envelope: EncryptedEnvelope, path: string, key: CredentialKey): Promise<string>
}

type ScryptCost = { n: number; r: number; p: number }
type KeyFor = (salt: Buffer, cost: ScryptCost) => Promise<Buffer>

/**
 * AES-256-GCM under a scrypt key; derived keys are cached per salt for the
 * process. A write reuses the salt (and so the key) of an envelope this
 * process opened and checked at today's cost: a refresh reads, then writes,
 * and derives one key, not two (~30 ms each). Every envelope still gets its
 * own random IV; the scrypt cost is unchanged.
 */
export function createPassphraseBox(passphrase: string): PassphraseBox {
  const keys = new Map<string, Promise<Buffer>>()
  let opened: Buffer | undefined
  const keyFor: KeyFor = (salt, cost) => {
    const id = `${cost.n}:${cost.r}:${cost.p}:${salt.toString('base64')}`
    let derived = keys.get(id)
    if (!derived) {
      derived = deriveKey(passphrase, salt, cost)
      keys.set(id, derived)
    }
    return derived
  }
  const current = (cost: ScryptCost): boolean => cost.n === SCRYPT_COST.n && cost.r === SCRYPT_COST.r && cost.p === SCRYPT_COST.p
  return {
    seal: (plaintext) => seal(plaintext, keyFor, opened),
    open: async (envelope, path, key) => {
      const plaintext = await unseal(envelope, keyFor, path, key)
      // Only once the key proved right (GCM's tag checked), and only at the cost new envelopes get.
      if (current(envelope)) opened ??= b64(envelope.salt)
      return plaintext
    },
  }
}

async function seal(plaintext: string, keyFor: KeyFor, reusableSalt: Buffer | undefined): Promise<EncryptedEnvelope> {
  const { createCipheriv, randomBytes } = await crypto()
  const salt = reusableSalt ?? randomBytes(16)
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', await keyFor(salt, SCRYPT_COST), iv)
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return {
    oauth_cli_encrypted: 1,
    kdf: 'scrypt',
    ...SCRYPT_COST,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  }
}

async function unseal(envelope: EncryptedEnvelope, keyFor: KeyFor, path: string, key: CredentialKey): Promise<string> {
  const { createDecipheriv } = await crypto()
  const decipher = createDecipheriv('aes-256-gcm', await keyFor(b64(envelope.salt), envelope), b64(envelope.iv))
  decipher.setAuthTag(b64(envelope.tag))
  try {
    return Buffer.concat([decipher.update(b64(envelope.ciphertext)), decipher.final()]).toString('utf8')
  } catch {
    // GCM cannot tell a wrong key from altered bytes; a wrong passphrase is far likelier.
    throw new StoreError(
      'bad_passphrase',
      path,
      `OAUTH_CLI_PASSPHRASE does not match the passphrase ${path} was encrypted with (credentials for ${describeKey(key)}), or the file was altered`,
      { key },
    )
  }
}

async function deriveKey(passphrase: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const { scrypt } = await crypto()
  return new Promise((resolve, reject) => {
    const maxmem = 256 * cost.n * cost.r + 1024 * 1024
    scrypt(passphrase, salt, 32, { N: cost.n, r: cost.r, p: cost.p, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    )
  })
}

/**
 * node:crypto loads only when a file is encrypted: reading or writing a plain
 * credential (`token`, and its refresh) does not need it. getBuiltinModule, not
 * import() (in the CommonJS fast build it starts the ESM loader) nor
 * createRequire (`node:module` alone loads it too). Files are written with
 * synchronous calls: a save is a handful of small operations on a refresh's
 * critical path, each of which would otherwise wait for a thread-pool round
 * trip.
 */
const crypto = async (): Promise<typeof import('node:crypto')> => process.getBuiltinModule('node:crypto')

function b64(text: string): Buffer {
  return Buffer.from(text, 'base64')
}

export function isEnvelopeLike(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && 'oauth_cli_encrypted' in value
}

/** The envelope, or why it is not one. Costs are bounded so a damaged file cannot exhaust memory. */
export function checkEnvelope(value: Record<string, unknown>): EncryptedEnvelope | string {
  if (value.oauth_cli_encrypted !== 1) return 'unsupported encryption version'
  if (value.kdf !== 'scrypt') return 'unsupported key derivation'
  const { n, r, p } = value
  const logN = typeof n === 'number' ? Math.log2(n) : Number.NaN
  const { minLogN, maxLogN, maxR, maxP } = SCRYPT_LIMITS
  if (!isIntIn(logN, minLogN, maxLogN) || !isIntIn(r, 1, maxR) || !isIntIn(p, 1, maxP)) {
    const shown = (v: unknown) => (typeof v === 'number' ? String(v) : JSON.stringify(v))
    return (
      `scrypt parameters "n"=${shown(n)}, "r"=${shown(r)}, "p"=${shown(p)} are outside what oauth-cli writes ` +
      `(n a power of two from 2^${minLogN} to 2^${maxLogN}, r ≤ ${maxR}, p ≤ ${maxP}); the file was altered`
    )
  }
  for (const field of ['salt', 'iv', 'tag', 'ciphertext'] as const) {
    if (typeof value[field] !== 'string') return `"${field}" is missing`
  }
  if (b64(value.iv as string).length !== 12 || b64(value.tag as string).length !== 16) {
    return '"iv" or "tag" has the wrong length'
  }
  return value as unknown as EncryptedEnvelope
}

function isIntIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

/**
 * Writes `bytes` to a temp file in `dir` and syncs it (so a full disk shows
 * now), then removes it. The sync waits in the thread pool, not on this
 * thread: a refresh prepares its request meanwhile (a discovery GET may go
 * out; the token request, with the refresh token, waits for this). Should the
 * process be ended within that wait (Ctrl-C), the hidden probe file stays;
 * listings skip it.
 */
async function probeWrite(dir: string, bytes: number): Promise<void> {
  const temp = join(dir, `.write-check.${randomHex(6)}.tmp`)
  try {
    const fd = openSync(temp, 'wx', 0o600)
    try {
      writeFileSync(fd, Buffer.alloc(Math.max(1, bytes)))
      await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())))
    } finally {
      closeSync(fd)
    }
  } catch (err) {
    throw ioError('write to', dir, err)
  } finally {
    await unlinkIfExists(temp).catch(() => undefined)
  }
}

/**
 * The credentials directory, checked (guardDir), and made first (0700) when it
 * is not there yet: a refresh writes twice (the check, the save) into a
 * directory it has just read from, and a mkdir of what exists is two system
 * calls for nothing.
 */
async function ensureDir(dir: string, say: Say): Promise<void> {
  const stats = ensurePrivateDir(dir, CREDENTIALS, (err) => ioError('create', dir, err))
  if (stats && CHECK_OWNERSHIP && (stats.mode & 0o077) !== 0) makePrivate(dir, stats, 'directory', (mode) => chmodSync(dir, mode), say)
}

/**
 * Reads a credential file only if it is ours alone: a regular file (not a
 * symlink, O_NOFOLLOW), owned by the effective user, writable by no one else,
 * and made private if others could read it (makePrivate). The checks are on
 * the open descriptor, so the file cannot be swapped between check and read.
 */
async function readIfExists(path: string, key: CredentialKey, say: Say): Promise<string | undefined> {
  let fd: number
  try {
    // Synchronous: a credential file is small, and this is the `token` hot path. A FIFO put in its place opens
    // at once (and is then refused as not a regular file), and a symlink there fails (ELOOP).
    fd = openWithoutBlocking(path, true)
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined
    if (errnoCode(err) === 'ELOOP') {
      throw insecure(path, `${path} is a symbolic link; credential files must be regular files`, `remove it (rm ${path}) and log in again`)
    }
    throw ioError('read', path, err)
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) {
      // Not one the tool wrote (it writes only regular files, by rename): said what it is, and removed by the user.
      const found = nonRegularFile(stats, path)
      throw insecure(path, `${path} is ${found.what}, not a credential file (oauth-cli writes only regular files there)`, `remove it (${found.rm}) and log in again`)
    }
    if (CHECK_OWNERSHIP) {
      checkPrivate(path, stats, 'the credentials file', 'file')
      if ((stats.mode & 0o077) !== 0) makePrivate(path, stats, 'file', (mode) => fchmodSync(fd, mode), say, key)
    }
    return readFileSync(fd, 'utf8')
  } catch (err) {
    throw ioError('read', path, err)
  } finally {
    closeSync(fd)
  }
}

/** The credentials directory, held to the rule every private directory of the tool is (store/private-dir.ts). */
const CREDENTIALS: PrivateDirName = { what: 'credentials directory', base: 'XDG_DATA_HOME' }

/**
 * False when the credentials directory does not exist yet; throws when it is
 * not ours alone; made private (0700) if others could list or enter it.
 */
function guardDir(dir: string, say: Say): boolean {
  const stats = guardPrivateDir(dir, CREDENTIALS)
  if (stats === undefined) return false
  if (CHECK_OWNERSHIP && (stats.mode & 0o077) !== 0) makePrivate(dir, stats, 'directory', (mode) => chmodSync(dir, mode), say)
  return true
}

type Say = (line: string) => void

/**
 * A credential file (or its directory) that other users can read: shared/SPEC.md
 * and README promise 0600 files in a 0700 directory, and a restored backup,
 * `cp -r`, a tarball or umask-022 tooling leaves 0644 and 0755. It is the
 * user's own (owner and write bits were checked first), so, as gh and gcloud
 * do, the group and other bits are taken off, and said once (it does not
 * recur), at once: whoever could read the file may hold its tokens. Refusing
 * it (as ssh does a key) would leave it readable all the same. Decided on the
 * stats the read already took, so a private file costs nothing more.
 */
function makePrivate(path: string, stats: Stats, what: 'file' | 'directory', chmod: (mode: number) => void, say: Say, key?: CredentialKey): void {
  const mode = stats.mode & 0o777
  const shown = (m: number): string => m.toString(8).padStart(3, '0')
  const readable = what === 'file' ? mode & 0o044 : mode & 0o055
  const who = readable & 0o004 || readable & 0o001 ? 'every user' : readable ? 'its group' : undefined
  const was = who ? `${what === 'file' ? 'readable by' : 'open to'} ${who}` : 'not private'
  const described = `the credentials ${what} ${path}`
  try {
    chmod(mode & 0o700)
  } catch (err) {
    say(`oauth-cli: warning: ${described} is ${was} (mode ${shown(mode)}) and could not be made private (${errnoCode(err) ?? String(err)}); to fix it: chmod ${what === 'file' ? '600' : '700'} ${path}`)
    return
  }
  const profile = key && key.profile !== 'default' ? ` --profile ${key.profile}` : ''
  const replace = key && what === 'file' && who
    ? `. Whoever read it may hold its tokens: to revoke and replace them, run: oauth-cli logout ${key.provider}${profile} && oauth-cli login ${key.provider}${profile}`
    : ''
  say(`oauth-cli: warning: ${described} was ${was} (mode ${shown(mode)}); it is now ${shown(mode & 0o700)}${replace}`)
}

async function unlinkIfExists(path: string): Promise<boolean> {
  return unlessMissing(async () => (unlinkSync(path), true), false, (err) => ioError('delete', path, err))
}
