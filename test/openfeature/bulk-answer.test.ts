import { describe, expect, it } from 'vitest'
import { applyChange, rulesetFromSnapshot } from '../../sdk/core/ruleset.ts'
import type { Cohort, FlagState } from '../../sdk/core/types.ts'
import { createBulkAnswers } from '../../server/ofrep/bulk-answer.ts'
import { evaluateAllForOfrep, userFromContext, type Audience } from '../../server/ofrep/evaluation.ts'
import { etagOf } from '../../server/ofrep/evaluate-routes.ts'

/**
 * Rich flags of every kind of outcome: off, everyone at 100% (both the same for every user),
 * beta users, a regional percentage, no stickiness.
 */
const cohorts = (i: number): Cohort[] =>
  i % 5 === 0
    ? [{ name: 'everyone', conditions: [], rollout: 100 }]
    : [
        { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['u1', 'u2', 'u3'] }], rollout: 100 },
        { name: 'region', conditions: [{ attribute: 'region', operator: 'in', values: [i % 2 ? 'eu' : 'us'] }], rollout: (i * 17) % 100 },
      ]
const flag = (i: number, patch: Partial<FlagState> = {}): FlagState => ({
  key: `f-${String(i).padStart(2, '0')}`,
  enabled: i % 7 !== 0,
  salt: `f-${i}`,
  stickiness: i % 11 === 0 ? 'accountId' : 'userId',
  cohorts: cohorts(i),
  version: 1,
  clientSide: i % 3 === 0,
  ...patch,
})
const ruleset = rulesetFromSnapshot({ environment: 'production', version: 5, flags: Array.from({ length: 40 }, (_, i) => flag(i)), segments: [] })
const visible = new Set([...ruleset.flags.values()].filter((f) => f.clientSide).map((f) => f.key))
const contexts = [
  ...Array.from({ length: 30 }, (_, i) => ({ targetingKey: `u${i}`, userId: `u${i}`, region: i % 3 ? 'eu' : 'us' })),
  { region: 'eu' },
  {},
]

describe('the OFREP bulk answer kept per version', () => {
  it('is, for every context and audience, the plain evaluation of every flag, with its content hash as ETag', () => {
    const bulk = createBulkAnswers(etagOf)
    for (let round = 0; round < 3; round++)
      for (const audience of ['server', 'client'] as Audience[])
        for (const context of contexts) {
          const expected = JSON.stringify(evaluateAllForOfrep(ruleset, visible, userFromContext(context), audience))
          const answer = bulk(ruleset, visible, userFromContext(context), audience)
          expect(answer.flagsJson).toBe(expected)
          expect(answer.etag).toBe(etagOf(expected))
        }
  })

  it('evaluates a flag whose result does not depend on the user (off, everyone at 100%) once per version, not per user', () => {
    const rules = rulesetFromSnapshot({ environment: 'production', version: 5, flags: Array.from({ length: 40 }, (_, i) => flag(i)), segments: [] })
    const evaluations = new Map<string, number>()
    for (const compiled of rules.compiled.values()) {
      const evaluate = compiled.evaluate.bind(compiled)
      Object.assign(compiled, { evaluate: (user: Parameters<typeof evaluate>[0]) => (evaluations.set(compiled.key, (evaluations.get(compiled.key) ?? 0) + 1), evaluate(user)) })
    }
    const bulk = createBulkAnswers(etagOf)
    for (const context of contexts) bulk(rules, visible, userFromContext(context), 'server')
    const fixed = [...rules.compiled.values()].filter((compiled) => compiled.fixedResult !== undefined).map((compiled) => compiled.key)
    expect(fixed).toEqual(expect.arrayContaining(['f-00', 'f-05', 'f-07']))
    const before = new Map(evaluations)
    const newUsers = Array.from({ length: 25 }, (_, i) => userFromContext({ targetingKey: `new-${i}`, userId: `new-${i}`, region: 'eu' }))
    for (const user of newUsers) bulk(rules, visible, user, 'server')
    for (const key of fixed) expect(evaluations.get(key), key).toBe(before.get(key))
    expect(evaluations.get('f-01')! - before.get('f-01')!).toBeGreaterThanOrEqual(newUsers.length)
  })

  it('follows a change of the ruleset (a new version), and keeps the tag of an answer the change did not touch', () => {
    const rules = rulesetFromSnapshot({ environment: 'production', version: 5, flags: Array.from({ length: 40 }, (_, i) => flag(i)), segments: [] })
    const bulk = createBulkAnswers(etagOf)
    const alice = userFromContext({ targetingKey: 'u1', userId: 'u1', region: 'eu' })
    const before = bulk(rules, visible, alice, 'server')
    // f-01 off: alice's answer changes. Then a beta list she is not on: it does not.
    expect(applyChange(rules, { type: 'flag', version: 6, flag: flag(1, { enabled: false, version: 6 }) })).toBe('applied')
    const off = bulk(rules, visible, alice, 'server')
    expect(off.flagsJson).toBe(JSON.stringify(evaluateAllForOfrep(rules, visible, alice, 'server')))
    expect(off.etag).not.toBe(before.etag)
    const other: Cohort[] = [{ name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['zed'] }], rollout: 100 }]
    expect(applyChange(rules, { type: 'flag', version: 7, flag: flag(39, { cohorts: [...cohorts(39), ...other], version: 7 }) })).toBe('applied')
    expect(bulk(rules, visible, alice, 'server').etag).toBe(off.etag)
  })

  it('answers a request context given as text like its evaluation, again after a change, and keeps nothing for a refused text', () => {
    const rules = rulesetFromSnapshot({ environment: 'production', version: 5, flags: Array.from({ length: 40 }, (_, i) => flag(i)), segments: [] })
    const bulk = createBulkAnswers(etagOf)
    let parsed = 0
    const parse = (text: string) => {
      parsed++
      const body = JSON.parse(text) as { context: Record<string, unknown> }
      return userFromContext(body.context)
    }
    const expected = (context: Record<string, unknown>, audience: Audience) => JSON.stringify(evaluateAllForOfrep(rules, visible, userFromContext(context), audience))
    const parsedBefore: number[] = []
    for (let round = 0; round < 3; round++) {
      parsedBefore.push(parsed)
      for (const audience of ['server', 'client'] as Audience[])
        for (const context of contexts) {
          const answer = bulk.forText(rules, visible, JSON.stringify({ context }), audience, parse)
          expect(answer.flagsJson).toBe(expected(context, audience))
          expect(answer.etag).toBe(etagOf(expected(context, audience)))
        }
    }
    // An answer is kept the second time it is given: the third round was answered from the
    // kept answers without parsing a text.
    expect(parsedBefore[1]).toBeGreaterThan(0)
    expect(parsed).toBe(parsedBefore[2])

    // A change (a new version): the same text is evaluated again, with the change in it.
    const alice = { targetingKey: 'u1', userId: 'u1', region: 'eu' }
    const text = JSON.stringify({ context: alice })
    const before = bulk.forText(rules, visible, text, 'server', parse)
    expect(applyChange(rules, { type: 'flag', version: 6, flag: flag(1, { enabled: false, version: 6 }) })).toBe('applied')
    const after = bulk.forText(rules, visible, text, 'server', parse)
    expect(after.flagsJson).toBe(expected(alice, 'server'))
    expect(after.flagsJson).not.toBe(before.flagsJson)

    // Another visible set (a client key's, rebuilt): not the answer kept for the old one.
    const fewer = new Set([...visible].slice(1))
    expect(bulk.forText(rules, visible, text, 'client', parse).flagsJson).toBe(expected(alice, 'client'))
    const client = bulk.forText(rules, fewer, text, 'client', parse)
    expect(client.flagsJson).toBe(JSON.stringify(evaluateAllForOfrep(rules, fewer, userFromContext(alice), 'client')))

    // A refused text throws every time: nothing was kept for it.
    const refuse = () => {
      throw new Error('refused')
    }
    expect(() => bulk.forText(rules, visible, '{"context":', 'server', refuse)).toThrow('refused')
    expect(() => bulk.forText(rules, visible, '{"context":', 'server', refuse)).toThrow('refused')
  })
})
