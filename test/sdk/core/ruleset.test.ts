// Contract: sdk/SPEC.md §5.1 (applying changes: stale, gap). Where this test and the spec disagree, one of them is a bug.
import { describe, expect, it } from 'vitest'
import { affectedFlags, applyChange, compactRulesetFromSnapshot, rulesetFromSnapshot, snapshotOf, statesOf } from '../../../sdk/core/ruleset.ts'
import type { Change } from '../../../sdk/core/changes.ts'
import type { FlagState, Segment } from '../../../sdk/core/types.ts'

const flag = (key: string, version: number, enabled = true): FlagState => ({
  key,
  enabled,
  salt: key,
  stickiness: 'userId',
  cohorts: [{ name: 'staff', conditions: [{ segment: 'staff' }], rollout: 100 }],
  version,
})
const staff = (userIds: string[], version: number): Segment => ({ key: 'staff', userIds, conditions: [], version })
const start = () =>
  rulesetFromSnapshot({ environment: 'production', version: 3, flags: [flag('a', 2), flag('b', 3)], segments: [staff(['alice'], 1)] })

describe('ruleset', () => {
  it('applies the next version in place and recompiles the changed flag', () => {
    const r = start()
    expect(applyChange(r, { type: 'flag', version: 4, flag: flag('a', 4, false) })).toBe('applied')
    expect(r.version).toBe(4)
    expect(r.compiled.get('a')!.evaluate({ userId: 'alice' }).reason).toBe('off')
    expect(r.compiled.get('b')!.evaluate({ userId: 'alice' }).reason).toBe('cohort:staff')
  })

  it('ignores a change it already holds and refuses a gap without touching anything', () => {
    const r = start()
    expect(applyChange(r, { type: 'flag', version: 3, flag: flag('a', 3, false) })).toBe('stale')
    expect(applyChange(r, { type: 'flag_deleted', version: 5, key: 'a' })).toBe('gap')
    expect(r.version).toBe(3)
    expect([...r.flags.keys()]).toEqual(['a', 'b'])
    expect(r.compiled.get('a')!.evaluate({ userId: 'alice' }).enabled).toBe(true)
  })

  it('recompiles every flag when a segment changes, and reports all flags as affected', () => {
    const r = start()
    const change = { type: 'segment', version: 4, segment: staff(['bob'], 4) } as const
    expect(applyChange(r, change)).toBe('applied')
    expect(affectedFlags(r, change).sort()).toEqual(['a', 'b'])
    for (const key of ['a', 'b']) {
      expect(r.compiled.get(key)!.evaluate({ userId: 'alice' }).enabled).toBe(false)
      expect(r.compiled.get(key)!.evaluate({ userId: 'bob' }).enabled).toBe(true)
    }
  })

  it('drops a deleted flag and round-trips through a snapshot', () => {
    const r = start()
    applyChange(r, { type: 'flag_deleted', version: 4, key: 'a' })
    applyChange(r, { type: 'segment_deleted', version: 5, key: 'staff' })
    expect(snapshotOf(r)).toEqual({ environment: 'production', version: 5, flags: [flag('b', 3)], segments: [] })
    // Without its segment the cohort fails closed.
    expect(r.compiled.get('b')!.evaluate({ userId: 'alice' }).enabled).toBe(false)
  })

  it('names only the changed flag as affected by a flag change or deletion', () => {
    const r = start()
    expect(affectedFlags(r, { type: 'flag', version: 4, flag: flag('b', 4) })).toEqual(['b'])
    expect(affectedFlags(r, { type: 'flag_deleted', version: 4, key: 'a' })).toEqual(['a'])
    expect(affectedFlags(r, { type: 'segment_deleted', version: 4, key: 'staff' }).sort()).toEqual(['a', 'b'])
  })

  it('answers gap to a change type it does not know, touching nothing', () => {
    const r = start()
    expect(applyChange(r, { type: 'future', version: 4 } as unknown as Change)).toBe('gap')
    expect(r.version).toBe(3)
  })

  it('a compact ruleset keeps no states: it rebuilds them from the compiled flags, also after a segment change', () => {
    const snapshot = { environment: 'production', version: 3, flags: [flag('a', 2), flag('b', 3)], segments: [staff(['alice'], 1)] }
    const r = compactRulesetFromSnapshot(snapshot)
    expect(r.flags).toBeUndefined()
    expect(statesOf(r)).toEqual([flag('a', 2), flag('b', 3)])
    expect(statesOf(start())).toEqual([flag('a', 2), flag('b', 3)])
    expect(applyChange(r, { type: 'segment', version: 4, segment: staff(['bob'], 4) })).toBe('applied')
    expect(statesOf(r)).toEqual([flag('a', 2), flag('b', 3)])
    expect(r.compiled.get('a')!.evaluate({ userId: 'bob' }).enabled).toBe(true)
    expect(r.compiled.get('a')!.evaluate({ userId: 'alice' }).enabled).toBe(false)
  })
})
