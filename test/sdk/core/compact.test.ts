import { describe, expect, it } from 'vitest'
import { sharedConditionCount } from '../../../sdk/core/conditions.ts'
import { compileFlag, sharedCohortCount } from '../../../sdk/core/evaluate.ts'
import {
  applyChange,
  compactRulesetFromSnapshot,
  rulesetFromSnapshot,
  snapshotOf,
} from '../../../sdk/core/ruleset.ts'
import type { Change } from '../../../sdk/core/changes.ts'
import type { FlagState, Segment, User } from '../../../sdk/core/types.ts'
import { createRulesMode } from '../../../sdk/client/rules-mode.ts'
import { ARM_COUNTING, countExposure, createCounters } from '../../../sdk/client/counters.ts'

/** Compact compiled flags: shared rules, states rebuilt from the compiled form, one counter array. */

const BETA = Array.from({ length: 20 }, (_, i) => `u-${String(i * 5000 + 2500).padStart(5, '0')}`)
const rich = (key: string, beta = BETA): FlagState =>
  // A JSON round trip, like states off the wire: no two flags share an array or a string.
  JSON.parse(
    JSON.stringify({
      key,
      enabled: true,
      salt: key,
      stickiness: 'userId',
      version: 1,
      cohorts: [
        { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: beta }], rollout: 100 },
        { name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 10 },
      ],
    }),
  )
const users: User[] = Array.from({ length: 3000 }, (_, i) => ({
  userId: `u-${String(i * 33).padStart(5, '0')}`,
  region: ['eu-west', 'us-east', 'ap-south'][i % 3],
}))
users.push({ userId: BETA[3], region: 'us-east' }, { region: 'eu-west' }, { userId: 42, region: 'eu-west' })
const staff: Segment = { key: 'staff', userIds: ['alice'], conditions: [{ attribute: 'plan', operator: 'in', values: ['pro', 'team'] }], version: 1 }

const answers = (flag: ReturnType<typeof compileFlag>) => users.map((u) => flag.evaluate(u))

describe('shared compiled rules', () => {
  it('compiles identical conditions and cohorts once for any number of flags', () => {
    const held = [compileFlag(rich('warm-up'), new Map())]
    const conditions = sharedConditionCount()
    const cohorts = sharedCohortCount()
    for (let i = 0; i < 200; i++) held.push(compileFlag(rich(`flag-${i}`), new Map()))
    expect(sharedConditionCount()).toBe(conditions)
    expect(sharedCohortCount()).toBe(cohorts)
    // A different list is a different condition, and answers differently.
    held.push(compileFlag(rich('other', BETA.slice(1)), new Map()))
    expect(sharedConditionCount()).toBe(conditions + 1)
    expect(held.at(-1)!.evaluate({ userId: BETA[0], region: 'us-east' }).enabled).toBe(false)
    expect(held[1]!.evaluate({ userId: BETA[0], region: 'us-east' }).enabled).toBe(true)
  })

  it('answers as if nothing were shared: each flag keeps its own salt and cohort results', () => {
    const a = compileFlag(rich('a'), new Map())
    const b = compileFlag(rich('b'), new Map())
    expect(answers(a)).not.toEqual(answers(b)) // different salts, different 10%
    const fresh = (key: string) => compileFlag({ ...rich(key), cohorts: rich(key).cohorts.map((c) => ({ ...c, name: c.name })) }, new Map())
    expect(answers(fresh('a'))).toEqual(answers(a))
    // The generic (public) form still tells a partial cohort from a full one.
    const inEu = a.evaluate({ userId: users.find((u) => a.evaluate(u).reason === 'cohort:eu')!.userId, region: 'eu-west' })
    expect(a.generic(inEu).reason).toBe('SPLIT')
    expect(a.generic(a.evaluate({ userId: BETA[0] })).reason).toBe('TARGETING_MATCH')
  })

  it('keeps case-insensitive, negated and numeric conditions apart from their plain twins', () => {
    const state = (condition: object): FlagState => ({ key: 'f', enabled: true, salt: 'f', stickiness: 'userId', version: 1, cohorts: [{ name: 'c', conditions: [condition as never], rollout: 100 }] })
    const plain = compileFlag(state({ attribute: 'plan', operator: 'in', values: ['Pro'] }), new Map())
    const ci = compileFlag(state({ attribute: 'plan', operator: 'in', values: ['Pro'], caseInsensitive: true }), new Map())
    const negated = compileFlag(state({ attribute: 'plan', operator: 'in', values: ['Pro'], negate: true }), new Map())
    const numeric = compileFlag(state({ attribute: 'age', operator: 'gt', values: [30] }), new Map())
    const text = compileFlag(state({ attribute: 'age', operator: 'gt', values: ['30'] }), new Map())
    expect(plain.evaluate({ plan: 'pro' }).enabled).toBe(false)
    expect(ci.evaluate({ plan: 'pro' }).enabled).toBe(true)
    expect(negated.evaluate({ plan: 'free' }).enabled).toBe(true)
    expect(numeric.evaluate({ age: 31 }).enabled).toBe(true)
    expect(text.evaluate({ age: 31 }).enabled).toBe(true)
  })
})

describe('states rebuilt from compiled flags', () => {
  it('gives back the state with its defaults filled in', () => {
    const state = { ...rich('r'), salt: '', stickiness: '', clientSide: true }
    expect(compileFlag(state, new Map()).toState()).toEqual({ ...rich('r'), salt: 'r', stickiness: 'userId', clientSide: true })
    const off = { ...rich('o'), enabled: false, version: 7 }
    expect(compileFlag(off, new Map()).toState()).toEqual(off)
  })

  it('keeps a malformed state as it was given', () => {
    const broken = { key: 'x', enabled: 'yes', cohorts: [] } as unknown as FlagState
    const flag = compileFlag(broken, new Map())
    expect(flag.problem).toBeDefined()
    expect(flag.toState()).toBe(broken)
  })

  it('a compact ruleset answers like a full one through changes, segment changes and a snapshot', () => {
    const flags = [rich('a'), rich('b'), { ...rich('s'), cohorts: [{ name: 'staff', conditions: [{ segment: 'staff' }], rollout: 100 }] }]
    const snapshot = { environment: 'production', version: 3, flags, segments: [staff] }
    const full = rulesetFromSnapshot(structuredClone(snapshot))
    const compact = compactRulesetFromSnapshot(structuredClone(snapshot))
    expect(compact.flags).toBeUndefined()
    const changes: Change[] = [
      { type: 'flag', version: 4, flag: { ...rich('a'), version: 4, enabled: false } },
      { type: 'segment', version: 5, segment: { ...staff, userIds: ['bob'], version: 5 } },
      { type: 'flag_deleted', version: 6, key: 'b' },
    ]
    for (const change of changes) {
      expect(applyChange(full, structuredClone(change))).toBe('applied')
      expect(applyChange(compact, structuredClone(change))).toBe('applied')
    }
    const people = [...users, { userId: 'bob' }, { userId: 'alice' }, { userId: 'carol', plan: 'team' }]
    for (const key of ['a', 's']) {
      for (const user of people) expect(compact.compiled.get(key)!.evaluate(user)).toEqual(full.compiled.get(key)!.evaluate(user))
    }
    expect([...compact.compiled.keys()]).toEqual(['a', 's'])
    const again = compactRulesetFromSnapshot(JSON.parse(JSON.stringify(snapshotOf(compact))))
    expect(again.version).toBe(6)
    for (const key of ['a', 's']) {
      for (const user of people) expect(again.compiled.get(key)!.evaluate(user)).toEqual(full.compiled.get(key)!.evaluate(user))
    }
  })
})

describe('rules mode cache entries', () => {
  it('dumps a state that loads back to the same answers and versions', () => {
    const mode = createRulesMode()
    mode.apply({ type: 'snapshot', environment: 'production', version: 2, flags: [rich('a'), rich('b')], segments: [staff] })
    mode.apply({ type: 'changes', changes: [{ type: 'flag', version: 3, flag: { ...rich('c'), version: 3 } }] })
    const entry = JSON.parse(JSON.stringify(mode.dump()))
    expect(entry.snapshot.flags.map((f: FlagState) => [f.key, f.version])).toEqual([['a', 1], ['b', 1], ['c', 3]])
    const loaded = createRulesMode()
    expect(loaded.load(entry)).toBe(true)
    expect(loaded.version).toBe(3)
    expect([...loaded.keys()]).toEqual(['a', 'b', 'c'])
    for (const key of ['a', 'b', 'c']) {
      for (const user of users) expect(loaded.answerer(key)!.evaluate(user)).toEqual(mode.answerer(key)!.evaluate(user))
    }
    // Only flags whose version differs are reported changed by a later snapshot.
    const applied = loaded.apply({ type: 'snapshot', environment: 'production', version: 4, flags: [rich('a'), { ...rich('b'), version: 4 }], segments: [staff] })
    expect(applied.keys.sort()).toEqual(['b', 'c'])
  })
})

describe('counters', () => {
  it('keep every flag apart in one growing array', () => {
    const counters = createCounters(0, ARM_COUNTING)
    const slots = Array.from({ length: 100 }, (_, i) => counters.slot(`f${i}`))
    expect(counters.slot('f7')).toBe(slots[7])
    slots.forEach((slot, i) => {
      for (let n = 0; n <= i; n++) countExposure(counters, slot, 0)
    })
    const batch = counters.drain('x', 1)!
    expect(Object.keys(batch.flags)).toHaveLength(100)
    expect(batch.flags.f0).toEqual({ canary: { exposures: 1, errors: 0 } })
    expect(batch.flags.f99).toEqual({ canary: { exposures: 100, errors: 0 } })
  })
})
