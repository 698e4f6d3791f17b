import { describe, expect, it } from 'vitest'
import { parseJsonOrUndefined } from '../../../src/platform/json'

describe('parseJsonOrUndefined', () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    ['[]', []],
    ['null', null],
    ['0', 0],
    ['"x"', 'x'],
    ['', undefined],
    ['{"a":', undefined],
    ['undefined', undefined],
    ['{a:1}', undefined],
  ])('%j → %j', (text, value) => {
    expect(parseJsonOrUndefined(text)).toEqual(value)
  })
})
