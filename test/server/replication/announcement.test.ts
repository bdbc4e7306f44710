import { describe, expect, it } from 'vitest'
import type { Change } from '../../../sdk/core/changes.ts'
import { announcement, parseAnnouncement } from '../../../server/store/pg/record-change.ts'

const deleted = (version: number, key = 'checkout-v2'): Change => ({ type: 'flag_deleted', key, version })

describe('change announcements (NOTIFY payloads)', () => {
  it('carry the change itself when it fits', () => {
    const payload = announcement('production', deleted(42))
    expect(parseAnnouncement(payload)).toEqual({ environment: 'production', version: 42, change: deleted(42) })
  })

  it('carry only the environment and version for a change too big for NOTIFY', () => {
    const big = deleted(7, 'x'.repeat(9000))
    const payload = announcement('production', big)
    expect(payload).toBe('production:7')
    expect(parseAnnouncement(payload)).toEqual({ environment: 'production', version: 7, change: undefined })
  })

  it('refuse payloads that are not announcements, and ignore a change of another version', () => {
    expect(parseAnnouncement('production')).toBeUndefined()
    expect(parseAnnouncement(':3')).toBeUndefined()
    expect(parseAnnouncement('production:zero')).toBeUndefined()
    expect(parseAnnouncement(`production:5:${JSON.stringify(deleted(6))}`)?.change).toBeUndefined()
    expect(parseAnnouncement('production:5:{not json')).toEqual({ environment: 'production', version: 5, change: undefined })
  })
})
