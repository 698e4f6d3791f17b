import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { escapeControls } from '../../../src/platform/terminal-text'

const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

describe('escapeControls', () => {
  it.each([
    ['ESC', 'a\u001b[2Jb', 'a\\x1b[2Jb'],
    ['OSC with BEL', '\u001b]0;t\u0007', '\\x1b]0;t\\x07'],
    ['CR', 'a\rb', 'a\\rb'],
    ['newline (one-line field)', 'a\nb', 'a\\nb'],
    ['C1 CSI', 'a\u009b31m', 'a\\x9b31m'],
    ['bidi override', 'a\u202eb', 'a\\u202eb'],
    ['tab stays', 'a\tb', 'a\tb'],
    ['text and emoji stay', 'déjà vu ✓ 😀', 'déjà vu ✓ 😀'],
  ])('escapes %s', (_name, input, expected) => {
    expect(escapeControls(input)).toBe(expected)
  })

  it('keeps newlines when asked (a stack trace)', () => {
    expect(escapeControls('a\nb\rc', { multiline: true })).toBe('a\nb\\rc')
  })

  it('leaves no raw control character in any string, and changes nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const out = escapeControls(text)
        expect(out).not.toMatch(RAW)
        expect(out).not.toContain('\n')
        if (!RAW.test(text) && !text.includes('\n')) expect(out).toBe(text)
      }),
    )
  })
})
