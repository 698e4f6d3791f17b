import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  describeJsonError,
  findJsonErrorOffset,
  loadConfigFile,
  locateJsonError,
} from '../../../src/providers/config-file'
import { ConfigError } from '../../../src/providers/errors'

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/config/${name}`, import.meta.url))

async function readTextFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

async function loadError(name: string): Promise<ConfigError> {
  const err = await loadConfigFile(fixture(name), readTextFile).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ConfigError)
  return err as ConfigError
}

describe('loadConfigFile', () => {
  it('treats a missing file as an empty config', async () => {
    const config = await loadConfigFile(fixture('does-not-exist.json'), readTextFile)
    expect(config).toEqual({ path: fixture('does-not-exist.json'), providers: {}, exists: false })
  })

  it('treats a whitespace-only file as an empty config that exists', async () => {
    const config = await loadConfigFile(fixture('empty.json'), readTextFile)
    expect(config).toMatchObject({ providers: {}, exists: true })
  })

  it('loads and validates every provider entry', async () => {
    const config = await loadConfigFile(fixture('valid.json'), readTextFile)
    expect(config.exists).toBe(true)
    expect(Object.keys(config.providers)).toEqual(['acme', 'livechat', 'tidio', 'my-idp.dev'])
    expect(config.providers.acme).toMatchObject({
      token_endpoint: 'https://id.acme.example/token',
      token_endpoint_auth_method: 'client_secret_basic',
      authorization_params: { prompt: 'consent' },
    })
  })

  it.each([
    ['a trailing comma (engine gives a position)', 'malformed-trailing-comma.json', '5:5'],
    ['an unexpected token (engine gives no position)', 'malformed-unexpected-token.json', '4:25'],
    ['a line break inside a string', 'malformed-unterminated.json', '4:39'],
  ])('reports %s as malformed_config at LINE:COLUMN', async (_label, name, lineColumn) => {
    const err = await loadError(name)
    expect(err.code).toBe('malformed_config')
    expect(err.message).toContain(`${fixture(name)}:${lineColumn}: invalid JSON: `)
  })

  it('never quotes the file contents in a JSON error (they may hold a secret)', async () => {
    const err = await loadError('malformed-unterminated.json')
    expect(err.message).not.toContain('s3cr3t')
    const token = await loadError('malformed-unexpected-token.json')
    expect(token.message).not.toContain('token_endpoint')
    expect(token.message).not.toMatch(/is not valid JSON/)
  })

  it.each([
    ['a top level that is not an object', 'top-level-array.json', 'malformed_config', 'the top level must be a JSON object like {"providers": {...}}'],
    ['an unknown top-level key', 'unknown-top-level.json', 'invalid_value', 'provider: unknown key; did you mean "providers"?'],
    ['a wrong type, with its JSON path', 'wrong-type.json', 'invalid_value', 'providers.acme.authorization_params.prompt: must be a string, got number'],
    ['an unknown key, with the closest known key', 'unknown-key.json', 'invalid_value', 'providers.acme.token_endpiont: unknown key; did you mean "token_endpoint"?'],
    [
      'a plain http endpoint off loopback',
      'insecure-endpoint.json',
      'insecure_endpoint',
      'providers.acme.token_endpoint: must be an https URL (http is allowed only for 127.0.0.1, [::1] and localhost)',
    ],
  ])('rejects %s', async (_label, name, code, message) => {
    const err = await loadError(name)
    expect(err.code).toBe(code)
    expect(err.message).toBe(`${fixture(name)}: ${message}`)
  })

  it('rejects a providers value that is not an object', async () => {
    const err = await loadConfigFile('inline.json', async () => '{"providers": []}').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'invalid_value', message: 'inline.json: providers: must be an object keyed by provider name' })
  })

  it('accepts http endpoints on 127.0.0.1, [::1] and localhost', async () => {
    const config = await loadConfigFile(fixture('loopback.json'), readTextFile)
    expect(config.providers['local-v4']?.token_endpoint).toBe('http://127.0.0.1:9000/token')
    expect(config.providers['local-v6']?.redirect_uri).toBe('http://[::1]:8085/callback')
    expect(config.providers['local-name']?.api_base_url).toBe('http://localhost:9000/api')
  })

  it('accepts a pasted RFC 8414 / OIDC discovery document and keeps only the keys it uses', async () => {
    const config = await loadConfigFile(fixture('discovery.json'), readTextFile)
    const keycloak = config.providers.keycloak
    expect(keycloak).toEqual({
      issuer: 'https://sso.example.com/realms/demo',
      authorization_endpoint: 'https://sso.example.com/realms/demo/protocol/openid-connect/auth',
      token_endpoint: 'https://sso.example.com/realms/demo/protocol/openid-connect/token',
      revocation_endpoint: 'https://sso.example.com/realms/demo/protocol/openid-connect/revoke',
      device_authorization_endpoint: 'https://sso.example.com/realms/demo/protocol/openid-connect/auth/device',
    })
  })

  it('strips a byte order mark before parsing', async () => {
    const config = await loadConfigFile('bom.json', async () => '\uFEFF{"providers": {}}')
    expect(config).toEqual({ path: 'bom.json', providers: {}, exists: true })
  })
})

describe('locateJsonError', () => {
  const source = '{\n  "a": 1,\n  "b": x\n}'
  it.each([
    ['V8 "at position N"', 'Unexpected token in JSON at position 19', { line: 3, column: 8 }],
    ['"(line L column C)" (newer V8)', "Expected ',' in JSON at position 99 (line 3 column 8)", { line: 3, column: 8 }],
    ['SpiderMonkey "at line L column C"', 'JSON.parse: unexpected character at line 3 column 8 of the JSON data', { line: 3, column: 8 }],
    ['no position at all (found by scanning)', "Unexpected token 'x', \"...\" is not valid JSON", { line: 3, column: 8 }],
    ['a position past the end', 'Unexpected end of JSON input at position 999', { line: 4, column: 2 }],
  ])('reads %s', (_label, message, expected) => {
    expect(locateJsonError(source, message)).toEqual(expected)
  })
})

describe('describeJsonError', () => {
  it.each([
    ["Unexpected token '}', \"{\"secret\": }\" is not valid JSON", "unexpected token '}'"],
    ['Expected double-quoted property name in JSON at position 12', 'expected double-quoted property name'],
    ['Bad control character in string literal in JSON at position 6 (line 1 column 7)', 'bad control character in string literal'],
    ['Unexpected end of JSON input', 'unexpected end of JSON input'],
    ["Unexpected token 'x', ...\", 14, x, 16,\"... is not valid JSON", "unexpected token 'x'"],
    ['JSON.parse: unexpected character at line 1 column 1 of the JSON data', 'unexpected character at line 1 column 1 of the JSON data'],
  ])('turns %j into %j', (message, expected) => {
    expect(describeJsonError(message)).toBe(expected)
  })
})

describe('findJsonErrorOffset', () => {
  const corrupt = fc
    .tuple(fc.jsonValue(), fc.nat(), fc.constantFrom('', ',', '}', ']', '"', ':', '\\', 'x', '\n', '-', '.', 'e', 'u', '{'))
    .map(([value, at, insert]) => {
      const text = JSON.stringify(value, null, 1)
      const i = at % (text.length + 1)
      return text.slice(0, i) + insert + text.slice(i + (insert === '' ? 1 : 0))
    })

  it('finds the offset the engine reports, and the token it names when it reports none', () => {
    fc.assert(
      fc.property(corrupt, (text) => {
        let message: string
        try {
          JSON.parse(text)
          return true
        } catch (err) {
          message = (err as Error).message
        }
        const offset = findJsonErrorOffset(text)
        const position = /position (\d+)/.exec(message)
        if (position !== null) return offset === Number(position[1])
        const token = /^Unexpected token '(.)'/su.exec(message)
        if (token !== null) return text[offset] === token[1]
        return offset === text.length // "Unexpected end of JSON input"
      }),
      { numRuns: 1000 },
    )
  })

  it('reports the end of the text for valid JSON', () => {
    expect(findJsonErrorOffset('{"a": [1, 2.5e-3, "x\\u00e9", true, null]}')).toBe(41)
  })
})
