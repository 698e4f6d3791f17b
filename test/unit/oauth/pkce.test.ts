import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createPkce, createState } from '../../../src/oauth/pkce'

describe('createPkce', () => {
  it('makes a 43-character base64url verifier whose S256 challenge is base64url(sha256(verifier))', async () => {
    const { verifier, challenge, method } = await createPkce()
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(challenge).toBe(createHash('sha256').update(verifier).digest('base64url'))
    expect(method).toBe('S256')
  })

  it('never repeats a verifier', async () => {
    const [a, b] = await Promise.all([createPkce(), createPkce()])
    expect(a.verifier).not.toBe(b.verifier)
  })
})

describe('createState', () => {
  it('makes a fresh unguessable base64url value each time', () => {
    const states = new Set(Array.from({ length: 20 }, () => createState()))
    expect(states.size).toBe(20)
    for (const state of states) expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })
})
