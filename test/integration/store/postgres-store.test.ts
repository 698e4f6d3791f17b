/**
 * Contract of the shared store against a real PostgreSQL (a private cluster,
 * never a mock): compare-and-set, marks, the lease judged by the server's
 * clock, release by fence, encryption at rest, and how connection failures
 * are told apart (unreachable → exit 5, refused → exit 2).
 */
import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ABSENT, StoreError, type StoredCredential } from '../../../src/store/credential-store'
import { openPostgresStore, type PostgresStore } from '../../../src/store/postgres-store'
import { toCliError } from '../../../src/cli/report'
import { makeCredential } from '../../fakes/credential'
import { shouldSkipPostgres, startPostgres, writePgpass, type PostgresCluster } from '../../support/postgres'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const skip = shouldSkipPostgres()
const PASSPHRASE = 'fleet-test-passphrase'
const SECRET_ACCESS = 'AT-secret-access-7f3a9c'
const SECRET_REFRESH = 'RT-secret-refresh-19bd02'
const SECRET_CLIENT = 'CS-secret-client-55e1aa'

function credential(overrides: Partial<StoredCredential> = {}): StoredCredential {
  return makeCredential({
    provider: 'acme',
    access_token: SECRET_ACCESS,
    refresh_token: SECRET_REFRESH,
    expires_at: new Date(Date.now() + 3600_000).toISOString(),
    scope: ['read'],
    client_id: 'client-1',
    client_secret: SECRET_CLIENT,
    token_endpoint: undefined,
    extra: undefined,
    updated_at: new Date().toISOString(),
    ...overrides,
  })
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

describe.skipIf(skip)('the PostgreSQL shared store', () => {
  let cluster: PostgresCluster
  let db: Awaited<ReturnType<PostgresCluster['createDatabase']>>
  const opened: PostgresStore[] = []
  const open = async (env: Record<string, string | undefined> = {}, url = db.url): Promise<PostgresStore> => {
    const store = await openPostgresStore(url, { env: { PGPASSWORD: db.password, OAUTH_CLI_PASSPHRASE: PASSPHRASE, ...env }, homedir: '/nonexistent' })
    opened.push(store)
    return store
  }

  beforeAll(async () => {
    cluster = await startPostgres()
    db = await cluster.createDatabase()
  })
  afterAll(async () => {
    for (const store of opened) await store.close?.()
    cluster?.destroy()
  })

  it('creates its tables on first use and reads back what it wrote', async () => {
    const store = await open()
    expect(await store.get({ provider: 'acme', profile: 'default' })).toEqual({ status: 'missing' })
    await store.set(credential())
    const found = await store.get({ provider: 'acme', profile: 'default' })
    expect(found).toEqual({ status: 'found', credential: credential({ expires_at: expect.any(String), updated_at: expect.any(String) }) })
    const tables = await cluster.admin<{ relname: string }>(
      "SELECT relname FROM pg_class WHERE relname LIKE 'oauth_cli_%' AND relkind = 'r' ORDER BY relname", [], db.database)
    expect(tables.map((t) => t.relname)).toEqual(['oauth_cli_credentials', 'oauth_cli_leases', 'oauth_cli_schema'])
    expect(await cluster.admin('SELECT version FROM oauth_cli_schema', [], db.database)).toEqual([{ version: 1 }])
  })

  it('compare-and-set: creates only when absent, updates only the version read, refuses a stale one', async () => {
    const store = await open()
    const key = { provider: 'cas', profile: 'default' }
    const first = await store.versioned.compareAndSet(credential({ provider: 'cas', access_token: 'v1' }), ABSENT)
    expect(first).toBeDefined()
    expect(await store.versioned.compareAndSet(credential({ provider: 'cas', access_token: 'again' }), ABSENT)).toBeUndefined()
    const second = await store.versioned.compareAndSet(credential({ provider: 'cas', access_token: 'v2' }), first!)
    expect(second).toBeDefined()
    expect(second).not.toBe(first)
    // A writer still holding the first version (a runner that lost its lease) is refused.
    expect(await store.versioned.compareAndSet(credential({ provider: 'cas', access_token: 'late' }), first!)).toBeUndefined()
    const now = await store.versioned.getVersioned(key)
    expect(now.status === 'found' && [now.credential.access_token, now.revision]).toEqual(['v2', second])
  })

  it('marks a credential dead or in flight by compare-and-set; a write clears the mark', async () => {
    const store = await open()
    const key = { provider: 'marks', profile: 'default' }
    const v1 = (await store.versioned.compareAndSet(credential({ provider: 'marks' }), ABSENT))!
    const v2 = await store.versioned.mark(key, v1, { kind: 'refresh_in_flight', holder: 'pid 1 on a', fence: 'f1', at: '' })
    expect(v2).toBeDefined()
    // A stale marker (it read v1) cannot kill the newer credential.
    expect(await store.versioned.mark(key, v1, { kind: 'dead', error: 'invalid_grant', at: '' })).toBeUndefined()
    let seen = await store.versioned.getVersioned(key)
    expect(seen.status === 'found' && seen.mark).toMatchObject({ kind: 'refresh_in_flight', holder: 'pid 1 on a', fence: 'f1' })
    const v3 = await store.versioned.mark(key, v2!, { kind: 'dead', error: 'invalid_grant', at: '' })
    seen = await store.versioned.getVersioned(key)
    expect(seen.status === 'found' && seen.mark).toMatchObject({ kind: 'dead', error: 'invalid_grant' })
    await store.versioned.compareAndSet(credential({ provider: 'marks', access_token: 'fresh' }), v3!)
    seen = await store.versioned.getVersioned(key)
    expect(seen.status === 'found' && seen.mark).toBeUndefined()
    // A login (plain set) clears a dead mark too.
    const v5 = seen.status === 'found' ? seen.revision : ''
    await store.versioned.mark(key, v5, { kind: 'dead', error: 'invalid_grant', at: '' })
    await store.set(credential({ provider: 'marks', access_token: 'new-login' }))
    seen = await store.versioned.getVersioned(key)
    expect(seen.status === 'found' && [seen.credential.access_token, seen.mark]).toEqual(['new-login', undefined])
  })

  it('keeps no token, secret or refresh token in the database: a dump shows only ciphertext', async () => {
    const store = await open()
    await store.set(credential({ provider: 'dumped' }))
    const dump = cluster.dump(db.database)
    expect(dump).toContain('dumped:default')
    for (const secret of [SECRET_ACCESS, SECRET_REFRESH, SECRET_CLIENT, 'client-1']) expect(dump).not.toContain(secret)
    expect(dump).toContain('oauth_cli_encrypted')
  })

  it('reads nothing with another passphrase', async () => {
    const store = await open()
    await store.set(credential({ provider: 'other-pass' }))
    const wrong = await open({ OAUTH_CLI_PASSPHRASE: 'not-the-one' })
    const err = await rejectionOf(wrong.get({ provider: 'other-pass', profile: 'default' }))
    expect(err).toBeInstanceOf(StoreError)
    expect((err as StoreError).kind).toBe('bad_passphrase')
  })

  it('gives the lease to one holder at a time, judged by the server clock, and releases it by fence', async () => {
    const a = await open({ OAUTH_CLI_LEASE_SECONDS: '1' })
    const b = await open({ OAUTH_CLI_LEASE_SECONDS: '1' })
    let inside = 0
    let most = 0
    const work = (store: PostgresStore) =>
      store.locker!.withLock('lease-one', async (hold) => {
        inside++
        most = Math.max(most, inside)
        await new Promise((resolve) => setTimeout(resolve, 50))
        inside--
        return hold.fence
      })
    const fences = await Promise.all([work(a), work(b), work(a), work(b)])
    expect(most).toBe(1)
    expect(new Set(fences).size).toBe(4)
    expect(await cluster.admin("SELECT * FROM oauth_cli_leases WHERE key = 'lease-one'", [], db.database)).toEqual([])
  })

  it('lets a waiter take a lease only after it expired on the server clock, and the old holder cannot release it', async () => {
    const store = await open({ OAUTH_CLI_LEASE_SECONDS: '1' })
    // A holder that died: its row stays, expiring 1.5 s from the server's now().
    await cluster.admin(
      "INSERT INTO oauth_cli_leases (key, holder, fence, expires_at) VALUES ('lease-dead', 'pid 1 on gone', 'dead-fence', now() + interval '1500 milliseconds')",
      [], db.database)
    const started = performance.now()
    const fence = await store.locker!.withLock('lease-dead', async (hold) => {
      // The dead holder's compare-and-delete finds another fence and removes nothing.
      await cluster.admin("DELETE FROM oauth_cli_leases WHERE key = 'lease-dead' AND fence = 'dead-fence'", [], db.database)
      const [row] = await cluster.admin<{ fence: string; holder: string }>("SELECT fence, holder FROM oauth_cli_leases WHERE key = 'lease-dead'", [], db.database)
      expect(row?.fence).toBe(hold.fence)
      expect(row?.holder).toMatch(/^pid \d+ on /)
      return hold.fence
    })
    expect(performance.now() - started).toBeGreaterThanOrEqual(1300)
    expect(fence).not.toBe('dead-fence')
  })

  it('renews the lease while held, so a long holder keeps it past the ttl', async () => {
    const store = await open({ OAUTH_CLI_LEASE_SECONDS: '1' })
    const other = await open({ OAUTH_CLI_LEASE_SECONDS: '1' })
    const order: string[] = []
    await Promise.all([
      store.locker!.withLock('lease-long', async (hold) => {
        order.push('long-start')
        await new Promise((resolve) => setTimeout(resolve, 2500))
        expect(hold.signal.aborted).toBe(false)
        order.push('long-end')
      }),
      new Promise((resolve) => setTimeout(resolve, 200)).then(() =>
        other.locker!.withLock('lease-long', async () => void order.push('second')),
      ),
    ])
    expect(order).toEqual(['long-start', 'long-end', 'second'])
  })

  it('extends the lease to a full term on demand, as a refresh does right before sending', async () => {
    const store = await open({ OAUTH_CLI_LEASE_SECONDS: '5' })
    const remaining = async (): Promise<number> => {
      const [row] = await cluster.admin<{ ms: number }>(
        "SELECT (extract(epoch FROM expires_at - now()) * 1000)::float8 AS ms FROM oauth_cli_leases WHERE key = 'lease-extend'", [], db.database)
      return row?.ms ?? 0
    }
    await store.locker!.withLock('lease-extend', async (hold) => {
      await cluster.admin("UPDATE oauth_cli_leases SET expires_at = now() + interval '1 second' WHERE key = 'lease-extend'", [], db.database)
      expect(await remaining()).toBeLessThan(1100)
      await hold.extend!()
      expect(await remaining()).toBeGreaterThan(4000)
    })
  })

  it('aborts the hold when the lease is taken over (the holder was stopped past its expiry)', async () => {
    const store = await open({ OAUTH_CLI_LEASE_SECONDS: '1' })
    const reason = await store.locker!.withLock('lease-stolen', async (hold) => {
      // What another runner does once the lease expired: take it with its own fence.
      await cluster.admin("UPDATE oauth_cli_leases SET fence = 'thief', expires_at = now() + interval '1 minute' WHERE key = 'lease-stolen'", [], db.database)
      await new Promise<void>((resolve) => hold.signal.addEventListener('abort', () => resolve(), { once: true }))
      return hold.signal.reason
    })
    expect(reason).toBeInstanceOf(StoreError)
    expect(toCliError(reason).exitCode).toBe(5)
    // The thief's lease is left alone by the release.
    expect(await cluster.admin("SELECT fence FROM oauth_cli_leases WHERE key = 'lease-stolen'", [], db.database)).toEqual([{ fence: 'thief' }])
  })

  it('gives up waiting after 2 × lease + 10 s, naming the holder (exit 5)', async () => {
    const store = await open({ OAUTH_CLI_LEASE_SECONDS: '0.5' })
    await cluster.admin(
      "INSERT INTO oauth_cli_leases (key, holder, fence, expires_at) VALUES ('lease-stuck', 'pid 77 on stuck-runner', 'x', now() + interval '1 hour')",
      [], db.database)
    const started = performance.now()
    const err = await rejectionOf(store.locker!.withLock('lease-stuck', async () => 'never'))
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(10_900)
    expect(waited).toBeLessThan(14_000)
    expect((err as Error).message).toContain('pid 77 on stuck-runner')
    expect(toCliError(err).exitCode).toBe(5)
  }, 20_000)

  it('refuses to start without OAUTH_CLI_PASSPHRASE, before any connection (exit 2)', async () => {
    const connections: number[] = []
    const server: Server = createServer((socket) => {
      connections.push(1)
      socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    try {
      for (const passphrase of [undefined, '']) {
        const err = await rejectionOf(openPostgresStore(`postgres://u@127.0.0.1:${port}/db`, { env: { OAUTH_CLI_PASSPHRASE: passphrase }, homedir: '/x' }))
        expect(toCliError(err).exitCode).toBe(2)
        expect((err as Error).message).toContain('OAUTH_CLI_PASSPHRASE')
      }
      expect(connections).toEqual([])
    } finally {
      server.close()
    }
  })

  it('tells a wrong password (exit 2) from an unreachable server (exit 5), never printing the password', async () => {
    const wrong = await rejectionOf(open({ PGPASSWORD: 'wrong-password-xyz' }))
    expect(toCliError(wrong).exitCode).toBe(2)
    expect(String((wrong as Error).message)).not.toContain('wrong-password-xyz')
    const inUrl = await rejectionOf(open({ PGPASSWORD: undefined }, db.url.replace('@', ':url-password-abc@')))
    expect(toCliError(inUrl).exitCode).toBe(2)
    expect(JSON.stringify([(inUrl as Error).message, toCliError(inUrl).hint])).not.toContain('url-password-abc')

    cluster.stop()
    try {
      const started = performance.now()
      const down = await rejectionOf(open())
      expect(performance.now() - started).toBeLessThan(5000)
      expect(toCliError(down).exitCode).toBe(5)
      expect((down as Error).message).toContain(`127.0.0.1 port ${cluster.port}`)
    } finally {
      cluster.start()
    }
  })

  it('answers an unanswering server within PGCONNECT_TIMEOUT (exit 5)', async () => {
    // Accepts TCP and never speaks: what a firewall black hole or a hung server looks like.
    const sockets: import('node:net').Socket[] = []
    const server = createServer((socket) => void sockets.push(socket))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    try {
      const started = performance.now()
      const err = await rejectionOf(open({ PGCONNECT_TIMEOUT: '2' }, `postgres://u@127.0.0.1:${port}/db`))
      const took = performance.now() - started
      expect(took).toBeGreaterThanOrEqual(1900)
      expect(took).toBeLessThan(4000)
      expect(toCliError(err).exitCode).toBe(5)
      expect((err as Error).message).toContain(`127.0.0.1 port ${port}`)
    } finally {
      for (const socket of sockets) socket.destroy()
      server.close()
    }
  })

  it('takes the password from ~/.pgpass when neither the URL nor PGPASSWORD has one', async () => {
    const home = mkdtempSync(join(tmpdir(), 'oauth-cli-pgpass-'))
    try {
      writePgpass(home, `127.0.0.1:${cluster.port}:${db.database}:${db.user}:${db.password}`)
      const store = await openPostgresStore(db.url, { env: { OAUTH_CLI_PASSPHRASE: PASSPHRASE, HOME: home }, homedir: home })
      opened.push(store)
      expect(await store.list()).toEqual(expect.any(Array))
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })

  it('works for a role with table rights and no CREATE once the tables exist; says what to grant before', async () => {
    const app = await cluster.createDatabase()
    const [row] = await cluster.admin<{ literal: string }>('SELECT quote_literal($1) AS literal', ['limited-pw'])
    await cluster.admin(`CREATE ROLE limited_${app.user} LOGIN PASSWORD ${row!.literal}`)
    await cluster.admin(`REVOKE CREATE ON SCHEMA public FROM ${app.user}`, [], app.database)
    const limitedUrl = app.url.replace(app.user, `limited_${app.user}`)
    const env = { PGPASSWORD: 'limited-pw', OAUTH_CLI_PASSPHRASE: PASSPHRASE }
    const before = await openPostgresStore(limitedUrl, { env, homedir: '/x' })
    opened.push(before)
    const err = await rejectionOf(before.list())
    expect(toCliError(err).exitCode).toBe(2)
    expect((err as Error).message).toContain('do not exist')
    // The owner's first run creates them; then grants are all the limited role needs.
    await cluster.admin(`GRANT CREATE ON SCHEMA public TO ${app.user}`, [], app.database)
    const owner = await openPostgresStore(app.url, { env: { PGPASSWORD: app.password, OAUTH_CLI_PASSPHRASE: PASSPHRASE }, homedir: '/x' })
    opened.push(owner)
    await owner.set(credential({ provider: 'limited' }))
    await cluster.admin(`REVOKE CREATE ON SCHEMA public FROM ${app.user}`, [], app.database)
    await cluster.admin(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON oauth_cli_credentials, oauth_cli_leases TO limited_${app.user}; GRANT SELECT ON oauth_cli_schema TO limited_${app.user}`,
      [], app.database)
    const limited = await openPostgresStore(limitedUrl, { env, homedir: '/x' })
    opened.push(limited)
    expect((await limited.list()).map((c) => c.provider)).toEqual(['limited'])
    expect(await limited.check()).toMatchObject({ schemaVersion: 1, missingRights: [] })
  })

  it('a role granted exactly what the missing-rights hint (or doctor\'s fix) says can use the store', async () => {
    const app = await cluster.createDatabase()
    const owner = await openPostgresStore(app.url, { env: { PGPASSWORD: app.password, OAUTH_CLI_PASSPHRASE: PASSPHRASE }, homedir: '/x' })
    opened.push(owner)
    await owner.set(credential({ provider: 'granted' }))
    const [row] = await cluster.admin<{ literal: string }>('SELECT quote_literal($1) AS literal', ['granted-pw'])
    const role = `granted_${app.user}`
    await cluster.admin(`CREATE ROLE ${role} LOGIN PASSWORD ${row!.literal}`)
    const env = { PGPASSWORD: 'granted-pw', OAUTH_CLI_PASSPHRASE: PASSPHRASE }
    const url = app.url.replace(app.user, role)
    const grantsIn = (text: string | undefined): string => {
      const sql = /GRANT [^()]*;/.exec(text ?? '')?.[0]
      if (!sql) throw new Error(`no GRANT statement in ${JSON.stringify(text)}`)
      return sql
    }
    // No rights at all: the error's hint holds the statements to run, and following it is enough.
    const before = await openPostgresStore(url, { env, homedir: '/x' })
    opened.push(before)
    const err = await rejectionOf(before.list())
    expect(toCliError(err).exitCode).toBe(2)
    await cluster.admin(grantsIn((err as StoreError).hint), [], app.database)
    const after = await openPostgresStore(url, { env, homedir: '/x' })
    opened.push(after)
    expect((await after.list()).map((c) => c.provider)).toEqual(['granted'])
    // Some rights taken away again: doctor names what is missing, and its fix restores it.
    await cluster.admin(`REVOKE UPDATE ON oauth_cli_leases FROM ${role}`, [], app.database)
    const health = await after.health!()
    expect(health.problems.join()).toContain('oauth_cli_leases UPDATE')
    await cluster.admin(grantsIn(health.fix), [], app.database)
    expect((await after.health!()).problems).toEqual([])
    expect(await after.check()).toMatchObject({ schemaVersion: 1, missingRights: [] })
  })
})

describe.skipIf(!skip)('the PostgreSQL shared store (skipped)', () => {
  it.skip(`needs PostgreSQL: ${skip}`, () => undefined)
})
