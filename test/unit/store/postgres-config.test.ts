import { describe, expect, it } from 'vitest'
import { StoreError } from '../../../src/store/credential-store'
import { readPgpass, resolvePostgresTarget, type TargetSources } from '../../../src/store/postgres-config'

function sources(env: Record<string, string> = {}, files: Record<string, string> = {}, modes: Record<string, number> = {}): TargetSources {
  return {
    env,
    homedir: '/home/ci',
    readFile: (path) => files[path],
    modeOf: (path) => modes[path] ?? 0o600,
    osUser: 'ci-os-user',
  }
}

function thrown(fn: () => unknown): StoreError {
  try {
    fn()
  } catch (err) {
    if (err instanceof StoreError) return err
    throw err
  }
  throw new Error('expected a StoreError')
}

describe('resolvePostgresTarget', () => {
  it('takes what the URL says first', () => {
    const target = resolvePostgresTarget('postgres://ci:s3cret@db.internal:6543/oauth?sslmode=require', sources({ PGHOST: 'other', PGPASSWORD: 'env-pw' }))
    expect(target).toMatchObject({ host: 'db.internal', port: 6543, user: 'ci', database: 'oauth', password: 's3cret', sslmode: 'require' })
    expect(target.location).toBe('db.internal:6543/oauth')
  })

  it('fills what the URL leaves out from the libpq environment, with libpq defaults after that', () => {
    const env = { PGHOST: 'pg.example', PGPORT: '5433', PGUSER: 'runner', PGDATABASE: 'creds', PGPASSWORD: 'env-pw', PGSSLMODE: 'verify-full', PGCONNECT_TIMEOUT: '3' }
    // verify-full needs a CA: libpq's default file.
    const rootCrt = { '/home/ci/.postgresql/root.crt': '-----BEGIN CERTIFICATE-----\n' }
    expect(resolvePostgresTarget('postgres://', sources(env, rootCrt))).toMatchObject({
      host: 'pg.example', port: 5433, user: 'runner', database: 'creds', password: 'env-pw', sslmode: 'verify-full', connectTimeoutMs: 3000,
      sslrootcertFrom: '/home/ci/.postgresql/root.crt',
    })
    expect(resolvePostgresTarget('postgresql://', sources())).toMatchObject({
      host: 'localhost', port: 5432, user: 'ci-os-user', database: 'ci-os-user', sslmode: 'prefer', connectTimeoutMs: 10_000,
    })
    expect(resolvePostgresTarget('postgresql://', sources()).password).toBeUndefined()
  })

  it('waits at most as long as a Node timer holds (about 24.8 days) for a longer PGCONNECT_TIMEOUT, which would otherwise fire at once', () => {
    for (const value of ['3000000', '1e12']) {
      const target = resolvePostgresTarget('postgres://db/x', sources({ PGCONNECT_TIMEOUT: value }))
      expect(target.connectTimeoutMs).toBe(2_147_483_000)
    }
  })

  it('never puts the password in the location', () => {
    const target = resolvePostgresTarget('postgres://ci:hunter2@db:5432/oauth', sources())
    expect(target.location).toBe('db:5432/oauth')
    expect(JSON.stringify({ ...target, password: undefined })).not.toContain('hunter2')
  })

  it('reads PGSSLROOTCERT as the CA to verify against, and says when the file is missing', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n'
    expect(resolvePostgresTarget('postgres://db/x', sources({ PGSSLROOTCERT: '/ca.pem' }, { '/ca.pem': pem })).sslrootcert).toBe(pem)
    const err = thrown(() => resolvePostgresTarget('postgres://db/x', sources({ PGSSLROOTCERT: '/missing.pem' })))
    expect([err.kind, err.message]).toEqual(['config', expect.stringContaining('/missing.pem')])
  })

  it('verify-ca and verify-full without any root certificate fail before connecting, as libpq does; require without one does not verify', () => {
    for (const mode of ['verify-ca', 'verify-full']) {
      const err = thrown(() => resolvePostgresTarget(`postgres://db/x?sslmode=${mode}`, sources()))
      expect([err.kind, err.message, err.hint]).toEqual(['config', expect.stringContaining('root.crt'), expect.stringContaining('PGSSLROOTCERT')])
    }
    expect(resolvePostgresTarget('postgres://db/x?sslmode=require', sources()).sslrootcert).toBeUndefined()
  })

  it('sslrootcert=system only with verify-full (libpq 16)', () => {
    expect(resolvePostgresTarget('postgres://db/x?sslmode=verify-full&sslrootcert=system', sources()).sslrootcert).toBe('system')
    expect(thrown(() => resolvePostgresTarget('postgres://db/x?sslmode=require&sslrootcert=system', sources())).message).toContain('verify-full')
  })

  it.each([
    ['postgres://db:0/x', 'port'],
    ['postgres://db:99999/x', 'not a valid postgres:// URL'],
    ['postgres://db/x?sslmode=sometimes', 'sslmode'],
    ['postgres://%2Ftmp/x', 'Unix socket'],
  ])('refuses %s with a config error naming %s', (url, word) => {
    const err = thrown(() => resolvePostgresTarget(url, sources()))
    expect(err.kind).toBe('config')
    expect(err.message).toContain(word)
  })

})

describe('readPgpass', () => {
  const want = { host: 'db.internal', port: 5432, database: 'oauth', user: 'ci' }

  it('returns the first matching line, with * wildcards and \\ escapes', () => {
    const text = ['# comment', 'other:5432:oauth:ci:no', 'db.internal:*:oauth:ci:pa\\:ss\\\\word', 'db.internal:5432:oauth:ci:later'].join('\n')
    expect(readPgpass(want, sources({}, { '/home/ci/.pgpass': text }))).toBe('pa:ss\\word')
  })

  it('reads PGPASSFILE instead of ~/.pgpass', () => {
    expect(readPgpass(want, sources({ PGPASSFILE: '/run/pgpass' }, { '/run/pgpass': '*:*:*:*:from-file' }))).toBe('from-file')
  })

  it('ignores a file others can read, as libpq does', () => {
    expect(readPgpass(want, sources({}, { '/home/ci/.pgpass': '*:*:*:*:pw' }, { '/home/ci/.pgpass': 0o644 }))).toBeUndefined()
  })

  it('is used only when neither the URL nor PGPASSWORD has a password', () => {
    const files = { '/home/ci/.pgpass': '*:*:*:*:from-pgpass' }
    expect(resolvePostgresTarget('postgres://ci@db.internal/oauth', sources({}, files)).password).toBe('from-pgpass')
    expect(resolvePostgresTarget('postgres://ci@db.internal/oauth', sources({ PGPASSWORD: 'env' }, files)).password).toBe('env')
  })
})

describe('the URL\'s parameters', () => {
  it('takes libpq\'s options from the URL over PGOPTIONS, and PGOPTIONS when the URL has none', () => {
    expect(resolvePostgresTarget('postgres://ci@db/oauth?options=-c%20search_path%3Dfleet', sources({ PGOPTIONS: '-c search_path=other' })).options).toBe('-c search_path=fleet')
    expect(resolvePostgresTarget('postgres://ci@db/oauth', sources({ PGOPTIONS: '-c search_path=other' })).options).toBe('-c search_path=other')
    expect(resolvePostgresTarget('postgres://ci@db/oauth', sources()).options).toBeUndefined()
  })

  it('refuses a parameter it would not act on (exit 2), naming it and never its value', () => {
    for (const name of ['sslcert', 'target_session_attrs', 'search_path', 'pasword']) {
      const err = thrown(() => resolvePostgresTarget(`postgres://ci@db/oauth?${name}=v4lue-s3cret`, sources()))
      expect(err.kind).toBe('config')
      expect(err.message).toContain(`parameter "${name}"`)
      expect(err.message + (err.hint ?? '')).not.toContain('v4lue-s3cret')
      expect(err.hint).toContain('options')
    }
  })
})
