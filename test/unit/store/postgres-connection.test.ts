import { describe, expect, it } from 'vitest'
import { toStoreError } from '../../../src/store/postgres-connection'
import type { PostgresTarget } from '../../../src/store/postgres-config'

const target: PostgresTarget = {
  host: 'db.internal',
  port: 5432,
  database: 'oauth',
  user: 'ci',
  sslmode: 'prefer',
  connectTimeoutMs: 10_000,
  location: 'db.internal:5432/oauth',
}

const socketError = (code: string, message = `connect ${code} 10.0.0.5:5432`) => Object.assign(new Error(message), { code })

describe('toStoreError on a failed connection', () => {
  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['ENOTFOUND', 'no such host'],
    ['EHOSTUNREACH', 'no route to the host (EHOSTUNREACH)'],
    ['EAI_AGAIN', 'temporary DNS failure (EAI_AGAIN)'],
  ])('says %s in words, as an HTTP failure does', (code, words) => {
    const err = toStoreError(socketError(code), target, 'connect to')
    expect(err.kind).toBe('unreachable')
    expect(err.message).toBe(`cannot reach the shared store at db.internal port 5432 (database oauth): ${words}`)
  })

  it('keeps a code it has no words for as it is', () => {
    expect(toStoreError(socketError('EPROTO'), target, 'connect to').message).toMatch(/: EPROTO$/)
  })

  it('takes the first of several addresses tried (happy eyeballs)', () => {
    const both = new AggregateError([socketError('ECONNREFUSED'), socketError('ENETUNREACH')])
    expect(toStoreError(both, target, 'connect to').message).toMatch(/: connection refused$/)
  })
})
