/**
 * The fleet-wide refresh lease: a row in `oauth_cli_leases` whose expiry is
 * judged by the database's clock alone (`now() + ttl`), so runners with skewed
 * clocks agree. Taken only when absent or expired, renewed every ttl/3 while
 * held, released by compare-and-delete on the holder's fence. The holder's
 * signal is aborted when the lease reaches its deadline without a renewal (or
 * is found taken over): nothing more is sent under it then. A request already
 * sent goes on (its answer may hold the only live refresh token: a stopped
 * process wakes up with the answer in its socket and its timers overdue) and
 * is written only by compare-and-set on the row version, so a holder that lost
 * its lease never overwrites a newer credential (session/refresh.ts).
 */
import { randomBytes } from 'node:crypto'
import type { Hold, Locker, LockOptions } from './credential-store'
import { StoreError } from './credential-store'
import type { Connection } from './postgres-connection'

/** shared/SPEC.md: default 30 s, `OAUTH_CLI_LEASE_SECONDS`. */
export const DEFAULT_LEASE_SECONDS = 30
/** Waiters give up after 2 × the lease + this (shared/SPEC.md). */
const GIVE_UP_EXTRA_MS = 10_000
const POLL_MS = 100
/**
 * The hold ends this long before the lease has surely expired on the server
 * (by this process's monotonic clock, from a time taken before the query that
 * set it): a timer fires late on a busy machine, and whatever passed the check
 * still has to leave. A tenth of the lease, at most a second.
 */
const endMarginMs = (ttlMs: number): number => Math.min(1000, Math.floor(ttlMs / 10))

export interface PostgresLockerOptions {
  leaseSeconds: number
  /** "pid 4242 on runner-7": recorded in the lease row and named by waiters that give up. */
  holder: string
}

/** `OAUTH_CLI_LEASE_SECONDS`: a positive number of seconds (fractions allowed, for tests). */
export function leaseSecondsFrom(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.OAUTH_CLI_LEASE_SECONDS
  if (raw === undefined || raw === '') return DEFAULT_LEASE_SECONDS
  const n = Number(raw)
  // Decimal only (Number() also reads 0x10 and 1e1); fractions are allowed, so the range is said as it is checked.
  if (!/^\d+(\.\d+)?$/.test(raw) || n <= 0 || n > 3600) {
    throw new StoreError('config', 'OAUTH_CLI_LEASE_SECONDS', `OAUTH_CLI_LEASE_SECONDS must be a number of seconds above 0 and at most 3600 (such as 30 or 2.5), got ${JSON.stringify(raw.slice(0, 40))}`, {
      hint: 'unset OAUTH_CLI_LEASE_SECONDS for the default of 30 s',
    })
  }
  return n
}

export function createPostgresLocker(connection: Connection, ready: () => Promise<void>, options: PostgresLockerOptions): Locker {
  const ttlMs = Math.round(options.leaseSeconds * 1000)
  return {
    async withLock(name, fn, lockOptions) {
      await ready()
      const fence = randomBytes(16).toString('hex')
      const lease = await acquire(connection, name, fence, ttlMs, options.holder, lockOptions ?? {})
      if ('answer' in lease) return lease.answer
      const keeper = keepLease(connection, name, fence, ttlMs, lease.deadline)
      try {
        return await fn(keeper.hold(options.holder, fence))
      } finally {
        keeper.stop()
        // Compare-and-delete: after a take-over the row is another holder's, and stays. Tried again once
        // (on a new connection, when the server dropped this one) so the fleet does not wait out the lease.
        const release = (): Promise<unknown> => connection.query('DELETE FROM oauth_cli_leases WHERE key = $1 AND fence = $2', [name, fence])
        await release().catch(release).catch(() => undefined)
      }
    },
  }
}

interface Acquired {
  /** performance.now() by which the lease has surely expired on the server's clock too. */
  deadline: number
}

async function acquire<T>(
  connection: Connection,
  name: string,
  fence: string,
  ttlMs: number,
  holder: string,
  { recheck, beforeWait }: LockOptions<T>,
): Promise<Acquired | { answer: T }> {
  const giveUpAt = performance.now() + 2 * ttlMs + GIVE_UP_EXTRA_MS
  let seen: { holder: string; remainingMs: number } | undefined
  for (;;) {
    // Measured before sending: the server's now() is later, so this deadline is on the safe side.
    const sentAt = performance.now()
    const [row] = await connection.query<{ won: string; holder: string | null; remaining_ms: number | null }>(
      `WITH taken AS (
         INSERT INTO oauth_cli_leases AS l (key, holder, fence, expires_at)
         VALUES ($1, $2, $3, now() + $4::integer * interval '1 millisecond')
         ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, fence = EXCLUDED.fence, expires_at = EXCLUDED.expires_at
           WHERE l.expires_at <= now()
         RETURNING 1)
       SELECT (SELECT count(*) FROM taken)::text AS won,
              (SELECT holder FROM oauth_cli_leases WHERE key = $1) AS holder,
              (SELECT extract(epoch FROM expires_at - now()) * 1000 FROM oauth_cli_leases WHERE key = $1)::float8 AS remaining_ms`,
      [name, holder, fence, ttlMs],
    )
    if (row?.won === '1') return { deadline: sentAt + ttlMs }
    if (row?.holder) seen = { holder: row.holder, remainingMs: Math.max(0, row.remaining_ms ?? 0) }
    if (performance.now() >= giveUpAt) throw gaveUp(connection, name, 2 * ttlMs + GIVE_UP_EXTRA_MS, seen)
    await sleep(POLL_MS + Math.floor(Math.random() * POLL_MS))
    // What ends the wait (a Ctrl-C) is asked after each pause, before anything more is read or tried.
    beforeWait?.()
    const answer = await recheck?.()
    if (answer !== undefined) return { answer }
  }
}

/**
 * Renews every ttl/3; aborts the hold's signal at the deadline (less the
 * margin) if no renewal got through, or when the lease was taken over, and
 * stops renewing then (a lost lease is not won back: another runner may hold
 * it). The deadline is also checked whenever the hold's signal is read, so
 * that a process that was stopped, or whose timer is late, never takes its
 * lease for held once the deadline has passed: on waking, its answers and its
 * code run before its timers may.
 */
function keepLease(connection: Connection, name: string, fence: string, ttlMs: number, firstDeadline: number) {
  const controller = new AbortController()
  const margin = endMarginMs(ttlMs)
  let deadline = firstDeadline
  let stopped = false
  let expiry: ReturnType<typeof setTimeout> | undefined
  let renewal: ReturnType<typeof setInterval> | undefined
  const lose = (why: string): void => {
    if (controller.signal.aborted) return
    clearInterval(renewal)
    controller.abort(new StoreError('lease_timeout', connection.target.location, `the refresh lease ${name} in the shared store at ${connection.target.location} ${why}`))
  }
  const runOut = (): void => lose('ran out before the refresh finished, not renewed in time: this process was stopped or starved, or the database did not answer')
  const armExpiry = (): void => {
    if (expiry) clearTimeout(expiry)
    expiry = setTimeout(runOut, Math.max(0, deadline - margin - performance.now()))
  }
  /** The signal, aborted first if the deadline has passed while no timer said so. */
  const current = (): AbortSignal => {
    if (!stopped && performance.now() >= deadline - margin) runOut()
    return controller.signal
  }
  armExpiry()
  const renew = async (): Promise<void> => {
    const sentAt = performance.now()
    try {
      const rows = await connection.query(
        `UPDATE oauth_cli_leases SET expires_at = now() + $3::integer * interval '1 millisecond'
          WHERE key = $1 AND fence = $2 AND expires_at > now() RETURNING 1`,
        [name, fence, ttlMs],
      )
      if (stopped || controller.signal.aborted) return
      if (rows.length === 0) return lose('was lost (it expired and may be held by another runner)')
      deadline = sentAt + ttlMs
      armExpiry()
    } catch {
      // The database did not answer: the lease still holds until its deadline, when the hold is aborted.
    }
  }
  renewal = setInterval(() => void renew(), Math.max(50, Math.floor(ttlMs / 3)))
  return {
    hold(holder: string, fenceValue: string): Hold {
      return {
        get signal() {
          return current()
        },
        fence: fenceValue,
        holder,
        extend: async () => {
          await renew()
          current().throwIfAborted()
        },
      }
    },
    stop(): void {
      stopped = true
      clearInterval(renewal)
      if (expiry) clearTimeout(expiry)
    },
  }
}

function gaveUp(connection: Connection, name: string, waitedMs: number, seen: { holder: string; remainingMs: number } | undefined): StoreError {
  const by = seen ? `, held by ${seen.holder} (its lease runs ${Math.ceil(seen.remainingMs / 1000)} s more)` : ''
  return new StoreError(
    'lease_timeout',
    connection.target.location,
    `gave up after ${Math.round(waitedMs / 1000)} s waiting for the refresh lease ${name} in the shared store at ${connection.target.location}${by}`,
    { hint: 'that runner keeps renewing its lease: if it hangs, stop it; a runner that dies frees the lease within OAUTH_CLI_LEASE_SECONDS' },
  )
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
