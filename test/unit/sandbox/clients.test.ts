import { describe, expect, it } from 'vitest'
import { authenticateClient } from '../../../src/sandbox/clients'
import { SANDBOX_CLIENT_ID, SANDBOX_CONFIDENTIAL_CLIENT } from '../../../src/sandbox/provider'

const { client_id: CONFIDENTIAL_ID, client_secret: SECRET } = SANDBOX_CONFIDENTIAL_CLIENT

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`
}

describe('authenticateClient', () => {
  it.each([
    ['a public client by client_id alone', undefined, `client_id=${SANDBOX_CLIENT_ID}`, SANDBOX_CLIENT_ID],
    ['a confidential client with HTTP Basic', basic(CONFIDENTIAL_ID, SECRET), '', CONFIDENTIAL_ID],
    ['a confidential client with the secret in the body', undefined, `client_id=${CONFIDENTIAL_ID}&client_secret=${SECRET}`, CONFIDENTIAL_ID],
  ])('accepts %s', (_label, header, body, expected) => {
    const result = authenticateClient(header, new URLSearchParams(body))
    expect(result).toMatchObject({ ok: true, client: { client_id: expected } })
  })

  it.each([
    ['no client at all', undefined, '', 'invalid_client', 401],
    ['an unknown client', undefined, 'client_id=nobody', 'invalid_client', 401],
    ['a confidential client without its secret', undefined, `client_id=${CONFIDENTIAL_ID}`, 'invalid_client', 401],
    ['a wrong secret in Basic', basic(CONFIDENTIAL_ID, 'wrong'), '', 'invalid_client', 401],
    ['a wrong secret in the body', undefined, `client_id=${CONFIDENTIAL_ID}&client_secret=wrong`, 'invalid_client', 401],
    ['a secret for the public client', undefined, `client_id=${SANDBOX_CLIENT_ID}&client_secret=x`, 'invalid_client', 401],
    ['two methods at once', basic(CONFIDENTIAL_ID, SECRET), `client_secret=${SECRET}`, 'invalid_request', 400],
    ['a body client_id that contradicts Basic', basic(CONFIDENTIAL_ID, SECRET), `client_id=${SANDBOX_CLIENT_ID}`, 'invalid_client', 401],
    ['garbage Basic credentials', 'Basic !!!', '', 'invalid_client', 401],
  ])('refuses %s', (_label, header, body, error, status) => {
    expect(authenticateClient(header, new URLSearchParams(body))).toMatchObject({ ok: false, error, status })
  })
})
