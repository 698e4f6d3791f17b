/** The quirk fields (providers/types.ts) validate like any config key, so a config entry can use them too. */
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/providers/errors'
import { apiErrorHints, exhaustedQuota, fieldAt, isDeadGrantError } from '../../../src/providers/quirks'
import { validateProviderConfig } from '../../../src/providers/schema'

const validate = (entry: Record<string, unknown>) => validateProviderConfig('acme', entry, '/cfg/config.json')
const problem = (entry: Record<string, unknown>) => {
  try {
    validate(entry)
  } catch (err) {
    if (err instanceof ConfigError) return err.message
    throw err
  }
  throw new Error('expected a ConfigError')
}

describe('quirk fields in a config entry', () => {
  it('accepts every quirk field a built-in provider uses', () => {
    const entry = {
      scope_separator: ',',
      dead_grant_errors: [{ error: 'unauthorized_client', unless_description_contains: ['client'] }],
      revoke_replaced_on_login: true,
      redirect_uri_required: 'partner apps register one HTTPS URL',
      rate_limit_quota: { remaining_header: 'X-Quota-Remaining', reset_header: 'X-Quota-Reset', period: 'daily' },
      api_error_hints: [{ status: [403], body_field: 'errors.0.code', equals: 'plan', message: 'upgrade' }],
      client_kinds: { public: 'a SPA', confidential: 'a server' },
    }
    expect(validate(entry)).toEqual(entry)
  })

  it.each([
    [{ scope_separator: ';' }, 'providers.acme.scope_separator: must be " " (a space, RFC 6749) or "," (comma), got ";"'],
    [{ dead_grant_errors: [{}] }, 'providers.acme.dead_grant_errors.0.error: is required'],
    [{ dead_grant_errors: [{ error: 'x', unless: [] }] }, 'providers.acme.dead_grant_errors.0.unless: unknown key'],
    [{ revoke_replaced_on_login: 'yes' }, 'providers.acme.revoke_replaced_on_login: must be true or false, got string'],
    [{ rate_limit_quota: { remaining_header: 'Bad Header', period: 'monthly' } }, 'providers.acme.rate_limit_quota.remaining_header: is not a valid HTTP header name'],
    [{ rate_limit_quota: { remaining_header: 'X-R' } }, 'providers.acme.rate_limit_quota.period: is required'],
    [{ api_error_hints: [{ status: [700], message: 'm' }] }, 'providers.acme.api_error_hints.0.status.0: must be an HTTP status code (100-599), got 700'],
    [{ api_error_hints: [{ body_field: 'error.type', message: 'm' }] }, 'providers.acme.api_error_hints.0: body_field and equals go together: the hint applies when that body field equals the value'],
    [{ api_error_hints: [{ message: 'm' }] }, 'providers.acme.api_error_hints.0: needs status, or body_field and equals'],
  ])('refuses %j', (entry, message) => {
    expect(problem(entry).replace(/^\/cfg\/config\.json: /, '')).toMatch(message)
  })
})

describe('quirk readings', () => {
  it('counts invalid_grant everywhere and declared codes unless the description names an exception', () => {
    const config = { dead_grant_errors: [{ error: 'unauthorized_client', unless_description_contains: ['Client'] }] }
    expect(isDeadGrantError({}, { error: 'invalid_grant', status: 400 })).toBe(true)
    expect(isDeadGrantError({}, { error: 'unauthorized_client', status: 401 })).toBe(false)
    expect(isDeadGrantError(config, { error: 'unauthorized_client', error_description: 'refresh_token not found', status: 401 })).toBe(true)
    expect(isDeadGrantError(config, { error: 'unauthorized_client', error_description: 'invalid client_secret', status: 401 })).toBe(false)
  })

  it('counts a dead grant only in a 400 or 401 answer (RFC 6749 §5.2): a 5xx saying so is the server failing', () => {
    const declared = { dead_grant_errors: [{ error: 'bad_refresh_token' }] }
    for (const status of [400, 401]) {
      expect(isDeadGrantError({}, { error: 'invalid_grant', status })).toBe(true)
      expect(isDeadGrantError(declared, { error: 'bad_refresh_token', status })).toBe(true)
    }
    for (const status of [200, 403, 429, 500, 502, 503, undefined]) {
      expect(isDeadGrantError({}, { error: 'invalid_grant', status })).toBe(false)
      expect(isDeadGrantError(declared, { error: 'bad_refresh_token', status })).toBe(false)
    }
  })

  it('reads a declared code that depends on its description as ambiguous when the description is empty or missing', () => {
    const livechat = {
      dead_grant_errors: [
        { error: 'unauthorized_client', description_contains: ['refresh_token', 'refresh token', 'code'], unless_description_contains: ['client', 'redirect'] },
      ],
    }
    const unlessOnly = { dead_grant_errors: [{ error: 'unauthorized_client', unless_description_contains: ['client'] }] }
    const dead = (config: typeof livechat | typeof unlessOnly, error_description?: string) =>
      isDeadGrantError(config, { error: 'unauthorized_client', status: 401, ...(error_description === undefined ? {} : { error_description }) })
    for (const config of [livechat, unlessOnly]) {
      expect(dead(config)).toBe(false)
      expect(dead(config, '')).toBe(false)
      expect(dead(config, '   ')).toBe(false)
      expect(dead(config, 'invalid client_secret')).toBe(false)
    }
    expect(dead(livechat, 'refresh_token not found')).toBe(true)
    expect(dead(livechat, 'Refresh token not found for this client')).toBe(true)
    expect(dead(livechat, 'authorization code expired or already used')).toBe(true)
    expect(dead(livechat, 'invalid redirect_uri')).toBe(false)
    // A description naming neither the grant nor the client does not say the grant is dead.
    expect(dead(livechat, 'something went wrong')).toBe(false)
    expect(dead(unlessOnly, 'refresh_token not found')).toBe(true)
  })

  it('reads a spent quota only from a 429 whose remaining header is 0', () => {
    const quota = { remaining_header: 'RateLimit-Monthly-Remaining', reset_header: 'RateLimit-Reset', period: 'monthly' }
    const now = Date.parse('2026-01-01T00:00:00Z')
    const h = (remaining: string, reset = '1769904000') => new Headers({ 'RateLimit-Monthly-Remaining': remaining, 'RateLimit-Reset': reset })
    expect(exhaustedQuota(quota, 429, h('0'), now)).toEqual({ period: 'monthly', resets_at: 1769904000_000 })
    expect(exhaustedQuota(quota, 429, h('0', '3600'), now)).toEqual({ period: 'monthly', resets_at: now + 3600_000 })
    expect(exhaustedQuota(quota, 429, h('12'), now)).toBeUndefined()
    expect(exhaustedQuota(quota, 503, h('0'), now)).toBeUndefined()
    expect(exhaustedQuota(undefined, 429, h('0'), now)).toBeUndefined()
  })

  it('fills hint templates from the JSON body, own properties only', () => {
    const hints = [{ body_field: 'error.type', equals: 'misdirected_request', message: 'region {error.data.region}' }]
    const body = JSON.stringify({ error: { type: 'misdirected_request', data: { region: 'fra\u001b[31m' } } })
    expect(apiErrorHints(hints, 421, body)).toEqual(['region fra[31m'])
    expect(apiErrorHints(hints, 421, 'not json')).toEqual([])
    expect(fieldAt({ a: [{ b: 1 }] }, 'a.0.b')).toBe(1)
    expect(fieldAt({}, 'constructor')).toBeUndefined()
  })
})
