import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseDotenv } from '../../../src/providers/dotenv'

describe('parseDotenv', () => {
  it.each([
    ['a plain assignment', 'KEY=value', { KEY: 'value' }],
    ['an export prefix', 'export KEY=value', { KEY: 'value' }],
    ['spaces around the name, = and value', '  KEY =  value  ', { KEY: 'value' }],
    ['an empty value', 'KEY=', { KEY: '' }],
    ['single quotes, kept literally', "KEY='a b # c \\n'", { KEY: 'a b # c \\n' }],
    ['double quotes with escapes', 'KEY="line1\\nline2\\t\\"q\\" \\\\"', { KEY: 'line1\nline2\t"q" \\' }],
    ['an unknown escape, kept as written', 'KEY="a\\qb"', { KEY: 'a\\qb' }],
    ['double quotes spanning lines', 'KEY="first\nsecond"\nNEXT=1', { KEY: 'first\nsecond', NEXT: '1' }],
    ['backticks, kept literally', 'KEY=`a "b" \'c\'`', { KEY: 'a "b" \'c\'' }],
    ['a comment after a quoted value', 'KEY="a b" # note', { KEY: 'a b' }],
    ['a comment after an unquoted value', 'KEY=abc # note', { KEY: 'abc' }],
    ['a # inside an unquoted value', 'KEY=abc#123', { KEY: 'abc#123' }],
    ['a value that is only a comment', 'KEY= # note', { KEY: '' }],
    ['comments and blank lines', '# heading\n\n   \n  # indented\nKEY=1\n', { KEY: '1' }],
    ['CRLF line endings', 'A=1\r\nB="x"\r\n', { A: '1', B: 'x' }],
    ['a byte order mark', '\uFEFFA=1', { A: '1' }],
    ['lines that are not assignments', 'garbage\n=nothing\n1BAD=x\nA=1', { A: '1' }],
    ['a repeated name: the last wins', 'A=1\nA=2', { A: '2' }],
    ['a quote that never closes: the rest of the line', 'A="open\nB=2', { A: '"open', B: '2' }],
    ['an = inside the value', 'URL=https://x.example/?a=b', { URL: 'https://x.example/?a=b' }],
    ['dots in names', 'my.key=1', { 'my.key': '1' }],
  ])('reads %s', (_label, text, expected) => {
    expect(parseDotenv(text)).toEqual(expected)
  })

  it('keeps a __proto__ name as an ordinary key without touching the prototype', () => {
    const parsed = parseDotenv('__proto__=polluted\nA=1')
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(parsed.A).toBe('1')
  })

  it('never throws and yields only string values, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const parsed = parseDotenv(text)
        return Object.values(parsed).every((value) => typeof value === 'string')
      }),
      { numRuns: 300 },
    )
  })
})
