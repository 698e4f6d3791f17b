import { describe, expect, it } from 'vitest'
import { formatError } from '../../../src/cli/report'
import { hintWithSuggestion, suggestName } from '../../../src/cli/suggest'
import { ConfigError } from '../../../src/providers/errors'

const KNOWN = ['livechat', 'livestorm', 'tidio', 'acme']

describe('suggestName', () => {
  it.each([
    ['livechta', 'livechat'],
    ['livestrom', 'livestorm'],
    ['TIDIO', 'tidio'],
    ['tido', 'tidio'],
    ['github', undefined],
    ['livechat', undefined],
  ])('suggests %s → %s', (input, expected) => {
    expect(suggestName(input, KNOWN)).toBe(expected)
  })

  it('puts the suggestion before the original hint', () => {
    expect(hintWithSuggestion('acne', KNOWN, 'run: oauth-cli providers')).toBe('did you mean "acme"?\nrun: oauth-cli providers')
    expect(hintWithSuggestion('zzzzzz', KNOWN, 'run: oauth-cli providers')).toBe('run: oauth-cli providers')
  })
})

describe('unknown provider errors', () => {
  it('suggest the closest provider name, including configured ones', () => {
    const err = new ConfigError('unknown_provider', 'unknown provider "acne"; known providers: livechat, livestorm, tidio, acme', {
      known: KNOWN,
      hint: 'add providers.acne to /cfg/config.json, or run: oauth-cli providers',
    })
    expect(formatError(err, { verbose: false })).toEqual({
      exitCode: 2,
      text:
        'oauth-cli: unknown provider "acne"; known providers: livechat, livestorm, tidio, acme\n' +
        'did you mean "acme"?\nadd providers.acne to /cfg/config.json, or run: oauth-cli providers\n',
    })
  })
})
