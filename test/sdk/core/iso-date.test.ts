// Contract: sdk/SPEC.md §2.2 (the date grammar). Where this test and the spec disagree, one of them is a bug.
import { describe, expect, it } from 'vitest'
import { parseIsoDate } from '../../../sdk/core/iso-date.ts'

/** The strict timestamp grammar of `before` / `after`, figure by figure (Date.UTC as the reference). */
describe('parseIsoDate', () => {
  it('reads dates as midnight UTC, across months, leap years and eras', () => {
    expect(parseIsoDate('1970-01-01')).toBe(0)
    expect(parseIsoDate('2024-03-01')).toBe(1_709_251_200_000)
    const dates: Array<[string, number, number, number]> = [
      ['2024-01-31', 2024, 1, 31],
      ['2024-02-29', 2024, 2, 29],
      ['2023-02-28', 2023, 2, 28],
      ['2000-02-29', 2000, 2, 29],
      ['2023-03-01', 2023, 3, 1],
      ['2023-04-30', 2023, 4, 30],
      ['2023-06-30', 2023, 6, 30],
      ['2023-09-30', 2023, 9, 30],
      ['2023-11-30', 2023, 11, 30],
      ['2023-12-31', 2023, 12, 31],
      ['2023-07-31', 2023, 7, 31],
      ['1969-12-31', 1969, 12, 31],
      ['1600-03-01', 1600, 3, 1],
      ['2400-02-29', 2400, 2, 29],
      ['9999-12-31', 9999, 12, 31],
    ]
    for (const [text, y, m, d] of dates) expect(parseIsoDate(text), text).toBe(Date.UTC(y, m - 1, d))
    // Years below 100 are years below 100 (Date.UTC would read 0050 as 1950).
    expect(parseIsoDate('0050-01-01')).toBe(new Date('0050-01-01T00:00:00Z').getTime())
    expect(parseIsoDate('0000-03-01')).toBe(new Date('0000-03-01T00:00:00Z').getTime())
  })

  it('rejects days that do not exist', () => {
    for (const text of ['2023-02-29', '1900-02-29', '2100-02-29', '2024-02-30', '2024-04-31', '2024-06-31', '2024-09-31', '2024-11-31', '2024-01-32', '2024-00-10', '2024-13-01', '2024-05-00'])
      expect(parseIsoDate(text), text).toBeUndefined()
    for (const text of ['2024-01-31', '2024-03-31', '2024-05-31', '2024-08-31', '2024-10-31', '2024-12-31'])
      expect(parseIsoDate(text), text).toBe(Date.parse(`${text}T00:00:00Z`))
  })

  it('reads times, fractions truncated to milliseconds, and offsets', () => {
    const base = Date.UTC(2024, 2, 1)
    expect(parseIsoDate('2024-03-01T10:20')).toBe(base + (10 * 60 + 20) * 60_000)
    expect(parseIsoDate('2024-03-01t10:20:30')).toBe(base + ((10 * 60 + 20) * 60 + 30) * 1000)
    expect(parseIsoDate('2024-03-01T23:59:59Z')).toBe(base + 86_400_000 - 1000)
    expect(parseIsoDate('2024-03-01T00:00:00.5Z')).toBe(base + 500)
    expect(parseIsoDate('2024-03-01T00:00:00.05z')).toBe(base + 50)
    expect(parseIsoDate('2024-03-01T00:00:00.123999999Z')).toBe(base + 123)
    expect(parseIsoDate('2024-03-01T10:00:00+01:00')).toBe(base + 9 * 3_600_000)
    expect(parseIsoDate('2024-03-01T10:00:00-0130')).toBe(base + 11.5 * 3_600_000)
    expect(parseIsoDate('2024-03-01T10:00:00+23:59')).toBe(base + 10 * 3_600_000 - (23 * 60 + 59) * 60_000)
    expect(parseIsoDate('2024-03-01T00:00:00-00:00')).toBe(base)
  })

  it('rejects out-of-range fields, leap seconds, 24:00 and anything outside the grammar', () => {
    const invalid = [
      '2024-03-01T24:00:00Z',
      '2024-03-01T23:60:00Z',
      '2024-03-01T23:59:60Z',
      '2024-03-01T10:00:00+24:00',
      '2024-03-01T10:00:00+01:60',
      '2024-03-01T10:00:00.Z',
      '2024-03-01T10:00:00.1234567890Z',
      '2024-03-01T10Z',
      '2024-03-01 10:00:00Z',
      '2024-3-01',
      '24-03-01',
      ' 2024-03-01',
      '2024-03-01Z',
      'March 1 2024',
      '',
    ]
    for (const text of invalid) expect(parseIsoDate(text), text).toBeUndefined()
  })
})
