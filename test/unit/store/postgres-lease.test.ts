import { describe, expect, it } from 'vitest'
import { createPostgresLocker, leaseSecondsFrom } from '../../../src/store/postgres-lease'
import type { Connection } from '../../../src/store/postgres-connection'

/** A database that grants every lease and every renewal at once. */
function grantingConnection(): Connection {
  return {
    target: { location: '127.0.0.1:5432/oauth' } as Connection['target'],
    query: async <R>(sql: string) => (sql.includes('INSERT INTO oauth_cli_leases') ? [{ won: '1', holder: 'me', remaining_ms: 300 }] : [{}]) as R[],
    script: async () => undefined,
    close: async () => undefined,
  }
}

/** Keeps this thread busy (no timer can fire) for `ms`, as a starved or stopped process is. */
function busy(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // spin
  }
}

describe('the shared store\'s lease', () => {
  it('reads as ended once its deadline has passed, before its timer had a chance to fire', async () => {
    const locker = createPostgresLocker(grantingConnection(), async () => undefined, { leaseSeconds: 0.3, holder: 'pid 1 on test' })
    const seen = await locker.withLock('refresh-acme-default', async (hold) => {
      const before = hold.signal.aborted
      busy(400)
      return { before, after: hold.signal.aborted, reason: String((hold.signal.reason as Error | undefined)?.message) }
    })
    expect(seen.before).toBe(false)
    expect(seen.after).toBe(true)
    expect(seen.reason).toContain('ran out before the refresh finished')
  })

  it('ends a little before the lease surely expires on the server, so what passed the check still has time to leave', async () => {
    const locker = createPostgresLocker(grantingConnection(), async () => undefined, { leaseSeconds: 1, holder: 'pid 1 on test' })
    const aborted = await locker.withLock('refresh-acme-default', async (hold) => {
      // Past the deadline less a tenth of the lease, short of the deadline itself; no renewal ran meanwhile.
      busy(930)
      return hold.signal.aborted
    })
    expect(aborted).toBe(true)
  })

  it('an extend renews for a full term: the hold stays valid well past the first deadline', async () => {
    const locker = createPostgresLocker(grantingConnection(), async () => undefined, { leaseSeconds: 0.3, holder: 'pid 1 on test' })
    const aborted = await locker.withLock('refresh-acme-default', async (hold) => {
      for (let i = 0; i < 4; i++) {
        busy(150)
        await hold.extend?.()
      }
      return hold.signal.aborted
    })
    expect(aborted).toBe(false)
  })
})

describe('OAUTH_CLI_LEASE_SECONDS', () => {
  it('takes decimal seconds above 0 up to 3600, fractions included', () => {
    expect(leaseSecondsFrom({})).toBe(30)
    expect(leaseSecondsFrom({ OAUTH_CLI_LEASE_SECONDS: '2.5' })).toBe(2.5)
    expect(leaseSecondsFrom({ OAUTH_CLI_LEASE_SECONDS: '3600' })).toBe(3600)
  })

  it('refuses anything else, saying the range as it is checked (0x10 and 1e1 are not read as numbers)', () => {
    for (const raw of ['0', '0x10', '1e1', '-1', '3601', 'soon', ' 30']) {
      expect(() => leaseSecondsFrom({ OAUTH_CLI_LEASE_SECONDS: raw })).toThrow(/above 0 and at most 3600/)
    }
  })
})
