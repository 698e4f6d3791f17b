import { describe, expect, it } from 'vitest'
import { isoTime } from '../../../src/platform/iso-time'

const DAY = 86_400_000

describe('isoTime', () => {
  it.for([
    ['the epoch', 0],
    ['just before the epoch', -1],
    ['a leap day', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
    ['1900-03-01 (no leap day in 1900)', Date.UTC(1900, 2, 1)],
    ['2000-02-29 (a leap day in 2000)', Date.UTC(2000, 1, 29, 12)],
    ['the first instant of year 0', -62_167_219_200_000],
    ['the last instant of 9999', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
    ['now', Date.now()],
  ] as const)('writes %s as toISOString does', ([, ms]) => {
    expect(isoTime(ms)).toBe(new Date(ms).toISOString())
  })

  it('agrees with toISOString on every day boundary from 1600 to 2400', () => {
    const differing: number[] = []
    for (let ms = Date.UTC(1600, 0, 1); ms < Date.UTC(2400, 0, 1); ms += DAY) {
      for (const at of [ms, ms - 1, ms + 45_296_789]) if (isoTime(at) !== new Date(at).toISOString()) differing.push(at)
    }
    expect(differing).toEqual([])
  })

  it('leaves six-digit years and fractions of a millisecond to toISOString', () => {
    expect(isoTime(Date.UTC(10000, 0, 1))).toBe('+010000-01-01T00:00:00.000Z')
    expect(isoTime(Date.UTC(-1, 0, 1))).toBe(new Date(Date.UTC(-1, 0, 1)).toISOString())
    expect(isoTime(1.5)).toBe('1970-01-01T00:00:00.001Z')
  })

  it('throws the RangeError toISOString throws for an instant no Date can hold', () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError)
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError)
  })
})
