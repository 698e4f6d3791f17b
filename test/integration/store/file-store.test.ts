import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StoreError } from '../../../src/store/credential-store'
import { createFileStore } from '../../../src/store/file-store'
import {
  FIXTURE_ACCESS_TOKEN,
  FIXTURE_CLIENT_SECRET,
  FIXTURE_REFRESH_TOKEN,
  makeCredential,
} from '../../fakes/credential'
import { rejectionOf } from '../../fakes'

const key = { provider: 'livechat', profile: 'default' }
const SECRETS = [FIXTURE_ACCESS_TOKEN, FIXTURE_REFRESH_TOKEN, FIXTURE_CLIENT_SECRET]
let home: string
let dir: string

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'oauth-cli-file-store-'))
  dir = join(home, 'data', 'oauth-cli')
})

afterEach(async () => {
  await rm(home, { recursive: true, force: true })
})

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, StoreError)

const credentialsDir = (): string => join(dir, 'credentials')
const credentialFile = (): string => join(credentialsDir(), 'livechat@default.json')

describe('file store', () => {
  it('round-trips a credential and reports missing for others', async () => {
    const store = createFileStore({ dir })
    expect(await store.get(key)).toEqual({ status: 'missing' })
    await store.set(makeCredential())
    expect(await store.get(key)).toEqual({ status: 'found', credential: makeCredential() })
    expect(await store.get({ provider: 'livechat', profile: 'work' })).toEqual({ status: 'missing' })
    expect(store.kind).toBe('file')
    expect(store.location).toBe(credentialsDir())
  })

  it('creates its directories 0700 and credential files 0600, whatever the umask', async () => {
    const previous = process.umask(0o000)
    try {
      await createFileStore({ dir }).set(makeCredential())
    } finally {
      process.umask(previous)
    }
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    expect((await stat(credentialsDir())).mode & 0o777).toBe(0o700)
    expect((await stat(credentialFile())).mode & 0o777).toBe(0o600)
  })

  it('keeps one file per provider and profile, with names safe for any profile', async () => {
    const store = createFileStore({ dir })
    await store.set(makeCredential())
    await store.set(makeCredential({ profile: 'team/a@b' }))
    expect((await readdir(credentialsDir())).sort()).toEqual(['livechat@default.json', 'livechat@team%2Fa%40b.json'])
    expect(await store.get({ provider: 'livechat', profile: 'team/a@b' })).toMatchObject({ status: 'found' })
  })

  it('replaces a credential atomically, leaving no temp files behind', async () => {
    const store = createFileStore({ dir })
    await store.set(makeCredential())
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.set(makeCredential({ access_token: `at-${i}` }))),
    )
    expect(await readdir(credentialsDir())).toEqual(['livechat@default.json'])
    const found = await store.get(key)
    expect(found.status === 'found' && found.credential.access_token).toMatch(/^at-\d$/)
  })

  it('lists stored credentials sorted, skipping temp and unrelated files', async () => {
    const store = createFileStore({ dir })
    await store.set(makeCredential({ provider: 'tidio', kind: 'static' }))
    await store.set(makeCredential())
    await writeFile(join(credentialsDir(), '.livechat@default.json.abc123.tmp'), '{"half": ')
    await writeFile(join(credentialsDir(), 'notes.txt'), 'hello')
    expect((await store.list()).map((c) => `${c.provider}:${c.profile}`)).toEqual([
      'livechat:default',
      'tidio:default',
    ])
  })

  it('lists nothing before anything was stored', async () => {
    expect(await createFileStore({ dir }).list()).toEqual([])
  })

  it('deletes a credential and says whether there was one', async () => {
    const store = createFileStore({ dir })
    await store.set(makeCredential())
    expect(await store.delete(key)).toBe(true)
    expect(await store.get(key)).toEqual({ status: 'missing' })
    expect(await store.delete(key)).toBe(false)
  })

  it('reports a file with broken JSON as corrupt, naming path, provider and profile, and leaves it byte-identical', async () => {
    const store = createFileStore({ dir })
    await store.set(makeCredential())
    const damaged = Buffer.from(`{"version":1,"access_token":"${FIXTURE_ACCESS_TOKEN}"`)
    await writeFile(credentialFile(), damaged)
    for (const attempt of [store.get(key), store.list()]) {
      const err = await rejection(attempt)
      expect(err.kind).toBe('corrupt')
      expect(err.location).toBe(credentialFile())
      expect(err.message).toContain(credentialFile())
      expect(err.message).toContain('livechat (profile default)')
      expect(err.message).not.toContain(FIXTURE_ACCESS_TOKEN)
    }
    expect(await readFile(credentialFile())).toEqual(damaged)
  })

  it('reports valid JSON of the wrong shape as corrupt', async () => {
    const store = createFileStore({ dir })
    await store.set(makeCredential())
    await writeFile(credentialFile(), JSON.stringify({ ...makeCredential(), scope: 'a b' }))
    const err = await rejection(store.get(key))
    expect(err.kind).toBe('corrupt')
    expect(err.message).toContain('"scope"')
  })

  it.skipIf(process.getuid?.() === 0)('reports an unreadable file as an io error', async () => {
    const store = createFileStore({ dir })
    await store.set(makeCredential())
    await chmod(credentialFile(), 0o000)
    const err = await rejection(store.get(key))
    expect(err.kind).toBe('io')
    expect(err.message).toContain('permission denied')
  })

  it('refuses a directory where the file should be, naming the path, what is there and the rm -r that fixes it', async () => {
    const store = createFileStore({ dir })
    await store.set(makeCredential())
    // A directory where the file should be is refused whether or not we are root.
    await rm(credentialFile())
    await mkdir(credentialFile())
    const err = await rejection(store.get(key))
    expect(err.kind).toBe('insecure')
    expect(err.location).toBe(credentialFile())
    expect(err.message).toContain(`${credentialFile()} is a directory, not a credential file`)
    expect(err.message).toContain(`rm -r ${credentialFile()}`)
  })
})

describe('file store with a passphrase', () => {
  it('round-trips a credential through the encrypted envelope', async () => {
    const store = createFileStore({ dir, passphrase: 'correct horse battery staple' })
    await store.set(makeCredential())
    expect(await store.get(key)).toEqual({ status: 'found', credential: makeCredential() })
    const fresh = createFileStore({ dir, passphrase: 'correct horse battery staple' })
    expect(await fresh.list()).toEqual([makeCredential()])
  })

  it('writes an AES-256-GCM envelope with scrypt parameters and no plaintext secret', async () => {
    await createFileStore({ dir, passphrase: 'pw' }).set(makeCredential())
    const text = await readFile(credentialFile(), 'utf8')
    const envelope = JSON.parse(text) as Record<string, unknown>
    expect(Object.keys(envelope).sort()).toEqual(
      ['ciphertext', 'iv', 'kdf', 'n', 'oauth_cli_encrypted', 'p', 'r', 'salt', 'tag'].sort(),
    )
    expect(envelope).toMatchObject({ oauth_cli_encrypted: 1, kdf: 'scrypt', n: 16384, r: 8, p: 1 })
    expect(Buffer.from(envelope.iv as string, 'base64')).toHaveLength(12)
    expect(Buffer.from(envelope.tag as string, 'base64')).toHaveLength(16)
    for (const secret of [...SECRETS, 'livechat', 'Bearer']) expect(text).not.toContain(secret)
  })

  it('uses a fresh salt and IV for every write', async () => {
    const store = createFileStore({ dir, passphrase: 'pw' })
    await store.set(makeCredential())
    const first = JSON.parse(await readFile(credentialFile(), 'utf8')) as Record<string, string>
    await store.set(makeCredential())
    const second = JSON.parse(await readFile(credentialFile(), 'utf8')) as Record<string, string>
    expect(second.salt).not.toBe(first.salt)
    expect(second.iv).not.toBe(first.iv)
  })

  it('a write after a read (a refresh) reuses the key the read derived: the same salt, a fresh IV, readable by another process', async () => {
    await createFileStore({ dir, passphrase: 'pw' }).set(makeCredential())
    const first = JSON.parse(await readFile(credentialFile(), 'utf8')) as Record<string, string>
    const refresher = createFileStore({ dir, passphrase: 'pw' })
    expect((await refresher.get(key)).status).toBe('found')
    await refresher.set(makeCredential({ access_token: 'refreshed-access' }))
    const second = JSON.parse(await readFile(credentialFile(), 'utf8')) as Record<string, string>
    expect(second.salt).toBe(first.salt)
    expect(second.iv).not.toBe(first.iv)
    expect(second).toMatchObject({ n: 16384, r: 8, p: 1 })
    expect(await createFileStore({ dir, passphrase: 'pw' }).get(key)).toMatchObject({ credential: { access_token: 'refreshed-access' } })
  })

  it('says the passphrase does not match that file when it is wrong', async () => {
    await createFileStore({ dir, passphrase: 'right' }).set(makeCredential())
    const before = await readFile(credentialFile())
    const err = await rejection(createFileStore({ dir, passphrase: 'wrong' }).get(key))
    expect(err.kind).toBe('bad_passphrase')
    expect(err.location).toBe(credentialFile())
    expect(err.message).toContain('does not match')
    expect(err.message).toContain(credentialFile())
    expect(err.message).not.toContain('wrong')
    expect(await readFile(credentialFile())).toEqual(before)
  })

  it('asks for OAUTH_CLI_PASSPHRASE when an encrypted file is read without one', async () => {
    await createFileStore({ dir, passphrase: 'right' }).set(makeCredential())
    const err = await rejection(createFileStore({ dir }).get(key))
    expect(err.kind).toBe('bad_passphrase')
    expect(err.message).toContain('set OAUTH_CLI_PASSPHRASE')
  })

  it('reads a plain file written before the passphrase was set, and encrypts it on the next write', async () => {
    await createFileStore({ dir }).set(makeCredential())
    const store = createFileStore({ dir, passphrase: 'pw' })
    expect(await store.get(key)).toEqual({ status: 'found', credential: makeCredential() })
    await store.set(makeCredential())
    expect(await readFile(credentialFile(), 'utf8')).toContain('"oauth_cli_encrypted": 1')
  })

  it('refuses an envelope with an absurd scrypt cost as corrupt instead of trying it', async () => {
    const store = createFileStore({ dir, passphrase: 'pw' })
    await store.set(makeCredential())
    const envelope = JSON.parse(await readFile(credentialFile(), 'utf8')) as Record<string, unknown>
    await writeFile(credentialFile(), JSON.stringify({ ...envelope, n: 2 ** 30 }))
    const err = await rejection(store.get(key))
    expect(err.kind).toBe('corrupt')
    expect(err.message).toContain('"n"')
  })
})
