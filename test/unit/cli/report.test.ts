import { describe, expect, it } from 'vitest'
import { rememberContext } from '../../../src/cli/error-context'
import { formatError, toCliError } from '../../../src/cli/report'
import { TransportError, type ProxyProblem } from '../../../src/http/types'
import { ListenError } from '../../../src/oauth/callback-server'
import { AuthorizationDeniedError, OAuthError, ProtocolError } from '../../../src/oauth/errors'
import { ConfigError } from '../../../src/providers/errors'
import { LoginTimeoutError, NotLoggedInError, RefreshRejectedError } from '../../../src/session/errors'
import { StoreError } from '../../../src/store/credential-store'

const key = { provider: 'tidio', profile: 'work' }

describe('toCliError maps every failure to the SPEC exit code', () => {
  it.each([
    ['unknown provider', new ConfigError('unknown_provider', 'unknown provider "x"'), 2],
    ['nothing stored', new NotLoggedInError(key, 'missing'), 3],
    ['refresh rejected', new RefreshRejectedError(key, 'invalid_grant'), 3],
    ['user denied', new AuthorizationDeniedError('access_denied'), 1],
    ['provider error', new OAuthError('token', 'invalid_scope', undefined, 400), 1],
    ['provider 5xx', new OAuthError('token', 'server_error', undefined, 503), 5],
    ['rate limited (429 slow_down)', new OAuthError('refresh', 'slow_down', undefined, 429), 5],
    ['rate limited (429 {})', new ProtocolError('invalid_response', 'refresh endpoint answered without an OAuth error (HTTP 429, application/json)', { status: 429 }), 5],
    ['rate limited (429 text page)', new ProtocolError('not_json', 'refresh endpoint answered with a body that is not JSON (HTTP 429, text/plain)', { status: 429 }), 5],
    ['network', new TransportError('connect', 'https://x/token', 'could not connect'), 5],
    ['login timeout', new LoginTimeoutError('livechat', 300), 5],
    ['port in use', new ListenError('port_in_use', '127.0.0.1', 3000), 2],
    ['wrong passphrase', new StoreError('bad_passphrase', '/d', 'passphrase does not match'), 2],
    ['keychain did not answer', new StoreError('timeout', 'OS keychain', 'the OS keychain did not read acme (profile default) within 5000 ms'), 5],
    ['state mismatch', new ProtocolError('state_mismatch', 'state does not match'), 1],
    ['device code expired', new ProtocolError('expired', 'the device code expired'), 5],
    ['anything else', new Error('boom'), 1],
  ])('%s → exit %i', (_name, error, code) => {
    expect(toCliError(error).exitCode).toBe(code)
  })

  it.each([
    ['30', 'it asked to wait 30 s (Retry-After)'],
    ['Wed, 21 Oct 2026 07:28:00 GMT', 'it asked to wait until 2026-10-21T07:28:00.000Z (Retry-After)'],
  ])('says a rate-limited token endpoint is busy, and the wait its Retry-After %j asked for', (retryAfter, said) => {
    for (const error of [
      new OAuthError('refresh', 'slow_down', undefined, 429, retryAfter),
      new ProtocolError('not_json', 'refresh endpoint answered with a body that is not JSON (HTTP 429, text/plain)', { status: 429, retryAfter }),
    ]) {
      const { text } = formatError(error, { verbose: false })
      expect(text).toContain('the provider is rate limiting requests')
      expect(text).toContain(said)
    }
  })

  it('repeats no Retry-After it cannot read (a server may send anything, escapes included)', () => {
    const { text } = formatError(new OAuthError('refresh', 'slow_down', undefined, 429, '\u001b[2Jsoon'), { verbose: false })
    expect(text).toContain('the provider is rate limiting requests; try again shortly')
    expect(text).not.toContain('soon')
  })

  it('names the login command to run, with the profile, when a login is needed', () => {
    expect(formatError(new RefreshRejectedError(key, 'invalid_grant'), { verbose: false }).text).toContain(
      'run: oauth-cli login tidio --profile work',
    )
  })

  it.each([
    [{ store: 'file' }, 'run: oauth-cli login tidio --profile work --store file'],
    [{ store: 'auto', config: '/etc/oauth.json' }, 'run: oauth-cli login tidio --profile work --config /etc/oauth.json'],
    [{ config: "/tmp/it's here.json" }, "run: oauth-cli login tidio --profile work --config '/tmp/it'\\''s here.json'"],
    [{ store: 'postgres://ci:hunter2@db/oauth' }, 'run: oauth-cli login tidio --profile work --store <the same URL>'],
  ])('repeats the --store and --config the command was given (%j) in the login it names, never a shared store URL', (given, hint) => {
    const err = rememberContext(new NotLoggedInError(key, 'missing'), { ...key, ...given })
    const text = formatError(err, { verbose: false }).text
    expect(text).toContain(`\n${hint}\n`)
    expect(text).not.toContain('hunter2')
  })

  it('names the port and the --port flag when the port is in use', () => {
    const text = formatError(new ListenError('port_in_use', '127.0.0.1', 3000), { verbose: false }).text
    expect(text).toContain('port 3000')
    expect(text).toContain('--port')
  })

  it('redacts token-looking text that reached a message', () => {
    const text = formatError(new Error('failed with Authorization: Bearer abcdef123456 and refresh_token=rt-secret-99'), { verbose: true }).text
    expect(text).not.toContain('abcdef123456')
    expect(text).not.toContain('rt-secret-99')
  })

  it('puts the message on the first line and the hint on its own line', () => {
    const lines = formatError(new NotLoggedInError({ provider: 'acme', profile: 'default' }, 'missing'), { verbose: false })
      .text.trimEnd()
      .split('\n')
    expect(lines).toEqual(['oauth-cli: not logged in to acme (profile default)', 'run: oauth-cli login acme'])
  })
})

describe('a proxy that failed gets a hint about that proxy, one per way it failed', () => {
  const failed = (problem: ProxyProblem) => new TransportError('other', 'https://x/token', 'the proxy p:3128 (HTTPS_PROXY) ...', { proxyVariable: 'HTTPS_PROXY', proxyProblem: problem })
  it.each([
    ['credentials_wanted', /put your proxy user name and password in the URL in HTTPS_PROXY/],
    ['credentials_refused', /refused the user name and password in HTTPS_PROXY: check them/],
    ['refused', /would not connect to that host: ask its administrator, or list the host in NO_PROXY/],
    ['closed', /check that HTTPS_PROXY names an HTTP proxy that tunnels to that host/],
    ['unreachable', /check that the proxy in HTTPS_PROXY runs/],
  ] as const)('%s', (problem, hint) => {
    const report = formatError(failed(problem), { verbose: false })
    expect(report.exitCode).toBe(5)
    expect(report.text).toMatch(hint)
    expect(report.text).not.toMatch(/check your network/)
  })
})
