import { describe, expect, it } from 'vitest'
import { describeConditions } from '../../server/cli/format.ts'
import { apiPath } from '../../server/cli/http.ts'
import { formatFields, formatTable, truncate } from '../../server/cli/table.ts'

describe('formatTable', () => {
  it('pads each column to its widest cell and leaves no trailing spaces', () => {
    const rows = [
      ['checkout-v2', 'on', ''],
      ['a', 'off', 'x'],
    ]
    expect(formatTable(['KEY', 'STATE', 'NOTE'], rows).split('\n')).toEqual([
      'KEY          STATE  NOTE',
      'checkout-v2  on',
      'a            off    x',
    ])
  })
})

describe('formatFields', () => {
  it('aligns the values after the longest label', () => {
    const fields = formatFields([
      ['flag', 'f'],
      ['environment', 'prod'],
    ])
    expect(fields).toBe('flag:         f\nenvironment:  prod')
  })
})

describe('truncate', () => {
  it('keeps short text and cuts long text with an ellipsis', () => {
    expect(truncate('abc', 3)).toBe('abc')
    expect(truncate('abcdef', 4)).toBe('abc…')
  })
})

describe('apiPath', () => {
  it('encodes interpolated values so they cannot change the route', () => {
    expect(apiPath`/api/v1/environments/${'prod'}/flags/${'a/../b'}`).toBe(
      '/api/v1/environments/prod/flags/a%2F..%2Fb',
    )
  })
})

describe('describeConditions', () => {
  it('reads like the rule: every condition joined by "and", long lists shortened', () => {
    const text = describeConditions([
      { attribute: 'userId', operator: 'in', values: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] },
      { segment: 'staff', negate: true },
      { attribute: 'email', operator: 'exists', values: [] },
    ])
    expect(text).toBe('userId in [a, b, c, d, e, +2 more] and not segment staff and email exists')
  })

  it('says "everyone" for a cohort without conditions', () => {
    expect(describeConditions([])).toBe('everyone')
  })
})
