import { describe, expect, it } from 'vitest'
import { fromLegacyCounts, type LegacyCounts } from '../../sdk/core/metrics.ts'
import type { Segment } from '../../sdk/core/types.ts'
import { PendingBatches } from '../../server/store/batch-group.ts'
import { ConflictError, NotFoundError, ValidationError } from '../../server/errors.ts'
import type { ApiKeyInfo, FlagDefinition, StateUpdate, StoredFlagState } from '../../server/store/contract.ts'
import {
  changedFields,
  decideCreateEnvironment,
  decideCreateFlag,
  decideFlagUpdate,
  decideRevoke,
  decideSegmentPut,
  decideSegmentRemove,
  decideStateUpdate,
  flagsUsingSegment,
  flagUpdated,
  keyCreated,
  keyRevoked,
  minuteRows,
  groupOf,
  segmentRemoved,
  segmentSaved,
  stateArchived,
  stateCreated,
  stateUpdated,
  visibilityChanged,
} from '../../server/store/decisions.ts'

/** The store's decisions without a database: what each dialect writes, or why it refuses. */

const definition: FlagDefinition = {
  key: 'checkout',
  description: 'new checkout',
  tags: ['team-a', 'web'],
  clientSide: false,
  createdAt: 1,
  updatedAt: 1,
}

const state = (patch: Partial<StoredFlagState> = {}): StoredFlagState => ({
  key: 'checkout',
  environment: 'production',
  clientSide: false,
  enabled: false,
  salt: 'checkout',
  stickiness: 'userId',
  cohorts: [],
  version: 4,
  guard: null,
  plan: null,
  updatedAt: 1,
  ...patch,
})

const rules = (s: StoredFlagState) => {
  const { key, enabled, salt, stickiness, cohorts, version, clientSide } = s
  return { key, enabled, salt, stickiness, cohorts, version, clientSide }
}

const segment: Segment = { key: 'beta', description: 'beta users', userIds: ['u1'], conditions: [], version: 3 }

const key: ApiKeyInfo = {
  id: 'k1',
  name: 'ci',
  kind: 'server',
  environment: 'production',
  prefix: 'cf_server_ab',
  createdAt: 1,
  revokedAt: null,
}

describe('environments', () => {
  it('audits a new environment', () => {
    expect(decideCreateEnvironment({ key: 'staging', name: 'Staging' }, false, 'alice')).toEqual({
      actor: 'alice',
      action: 'environment.create',
      envKey: 'staging',
      after: { key: 'staging', name: 'Staging' },
    })
  })

  it('refuses an environment key that exists', () => {
    const create = () => decideCreateEnvironment({ key: 'staging', name: 'Staging' }, true, 'alice')
    expect(create).toThrow(ConflictError)
    expect(create).toThrow('environment staging already exists')
  })
})

describe('creating flags', () => {
  const input = { key: 'checkout', description: '', tags: [], clientSide: false }

  it('creates a new key without removing anything', () => {
    expect(decideCreateFlag(input, undefined, 'alice')).toEqual({
      replaceArchived: false,
      audit: { actor: 'alice', action: 'flag.create', flagKey: 'checkout', after: input },
    })
  })

  it('reuses an archived key by removing the archived flag first', () => {
    expect(decideCreateFlag(input, { archivedAt: 5 }, 'alice').replaceArchived).toBe(true)
  })

  it('refuses the key of a live flag', () => {
    expect(() => decideCreateFlag(input, { archivedAt: null }, 'alice')).toThrow('flag checkout already exists')
  })

  it('publishes a new state as a flag change at its version', () => {
    const created = state({ version: 7 })
    expect(stateCreated(created, 'alice')).toEqual({
      change: { type: 'flag', version: 7, flag: rules(created) },
      audit: { actor: 'alice', action: 'flag.state.create', flagKey: 'checkout', after: created },
    })
  })
})

describe('updating a flag definition', () => {
  it('keeps only the fields that differ (tags compared in order)', () => {
    expect(changedFields(definition, { description: 'new checkout', tags: ['web', 'team-a'] })).toEqual({
      tags: ['web', 'team-a'],
    })
    expect(changedFields(definition, { tags: ['team-a', 'web'], description: undefined })).toEqual({})
  })

  it('refuses a patch that changes nothing', () => {
    const update = () => decideFlagUpdate('checkout', definition, { description: 'new checkout' })
    expect(update).toThrow(ValidationError)
    expect(update).toThrow('body: nothing to change (flag checkout already has these values)')
  })

  it('refuses a missing flag', () => {
    expect(() => decideFlagUpdate('nope', undefined, { description: 'x' })).toThrow(NotFoundError)
    expect(() => decideFlagUpdate('nope', undefined, { description: 'x' })).toThrow('flag nope not found')
  })

  it('is a plain update unless client visibility changes', () => {
    expect(decideFlagUpdate('checkout', definition, { description: 'x' })).toEqual({
      changed: { description: 'x' },
      action: 'flag.update',
      visibilityChanged: false,
    })
    const visible = decideFlagUpdate('checkout', definition, { clientSide: true, description: 'new checkout' })
    expect(visible).toEqual({ changed: { clientSide: true }, action: 'flag.client_side', visibilityChanged: true })
    const after = { ...definition, clientSide: true, updatedAt: 2 }
    expect(flagUpdated(visible, definition, after, 'bob')).toEqual({
      actor: 'bob',
      action: 'flag.client_side',
      flagKey: 'checkout',
      before: definition,
      after,
    })
  })

  it('publishes a visibility change as a flag change in each environment', () => {
    const before = state()
    const after = state({ clientSide: true, version: 5 })
    expect(visibilityChanged(before, after, 'bob')).toEqual({
      change: { type: 'flag', version: 5, flag: rules(after) },
      audit: { actor: 'bob', action: 'flag.client_side', flagKey: 'checkout', before, after },
    })
  })

  it('archives a state as a deletion at the new version', () => {
    const before = state()
    expect(stateArchived(before, 9, 'bob')).toEqual({
      change: { type: 'flag_deleted', version: 9, key: 'checkout' },
      audit: { actor: 'bob', action: 'flag.archive', flagKey: 'checkout', before },
    })
  })
})

describe('updating a state', () => {
  const options = (patch: Partial<StateUpdate> = {}): StateUpdate => ({
    actor: 'carol',
    action: 'flag.state.update',
    update: () => ({ enabled: true }),
    ...patch,
  })

  it("returns the caller's patch when the version matches or is not given", () => {
    expect(decideStateUpdate(state(), options())).toEqual({ enabled: true })
    expect(decideStateUpdate(state(), options({ expectedVersion: 4 }))).toEqual({ enabled: true })
  })

  it('refuses a stale version with the newer state, without running the update', () => {
    let ran = false
    const current = state({ version: 6 })
    const stale = options({ expectedVersion: 4, update: () => ((ran = true), {}) })
    try {
      decideStateUpdate(current, stale)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConflictError)
      expect((error as ConflictError).message).toBe(
        'flag checkout in production changed since version 4 (now 6); reload and retry',
      )
      expect((error as ConflictError).details).toEqual({ current })
    }
    expect(ran).toBe(false)
  })

  it("lets the caller's update refuse", () => {
    const refuse = options({ update: () => { throw new ValidationError('no') } })
    expect(() => decideStateUpdate(state(), refuse)).toThrow('no')
  })

  it('publishes the written state with its audit details', () => {
    const before = state()
    const after = state({ enabled: true, version: 5 })
    expect(stateUpdated(before, after, options({ details: { reason: 'launch' } }))).toEqual({
      change: { type: 'flag', version: 5, flag: rules(after) },
      audit: {
        actor: 'carol',
        action: 'flag.state.update',
        flagKey: 'checkout',
        before,
        after,
        details: { reason: 'launch' },
      },
    })
  })
})

describe('segments', () => {
  const input = { key: 'beta', userIds: ['u1', 'u2'], conditions: [] }

  it('creates with an empty description when none is given', () => {
    expect(decideSegmentPut('production', input, undefined, { actor: 'a', create: true })).toEqual({
      ...input,
      description: '',
    })
  })

  it('refuses to create a segment that exists and to replace one that does not', () => {
    expect(() => decideSegmentPut('production', input, segment, { actor: 'a', create: true })).toThrow(
      'segment beta already exists in production',
    )
    expect(() => decideSegmentPut('production', input, undefined, { actor: 'a', create: false })).toThrow(
      'segment beta in environment production not found',
    )
  })

  it('refuses a stale version with the current segment', () => {
    const put = () =>
      decideSegmentPut('production', input, segment, { actor: 'a', create: false, expectedVersion: 2 })
    expect(put).toThrow('segment beta changed since version 2 (now 3); reload and retry')
    expect(decideSegmentPut('production', input, segment, { actor: 'a', create: false, expectedVersion: 3 })).toEqual({
      ...input,
      description: '',
    })
  })

  it('audits a create and an update differently', () => {
    const saved = { ...segment, version: 4 }
    expect(segmentSaved(undefined, saved, 'a')).toEqual({
      change: { type: 'segment', version: 4, segment: saved },
      audit: { actor: 'a', action: 'segment.create', before: null, after: saved, details: { segment: 'beta' } },
    })
    expect(segmentSaved(segment, saved, 'a').audit).toMatchObject({ action: 'segment.update', before: segment })
  })

  it('finds the flags whose cohorts use a segment', () => {
    const states = [
      { flagKey: 'a', cohorts: [{ name: 'c', rollout: 100, conditions: [{ segment: 'beta' }] }] },
      { flagKey: 'b', cohorts: [{ name: 'c', rollout: 100, conditions: [{ segment: 'other' }] }] },
      { flagKey: 'c', cohorts: [] },
    ]
    expect(flagsUsingSegment(states, 'beta')).toEqual(['a'])
  })

  it('refuses to remove a missing segment or one in use', () => {
    expect(() => decideSegmentRemove('production', 'beta', undefined, [])).toThrow(NotFoundError)
    try {
      decideSegmentRemove('production', 'beta', segment, ['a', 'b'])
      expect.unreachable()
    } catch (error) {
      expect((error as ConflictError).message).toBe('segment beta is used by flags: a, b')
      expect((error as ConflictError).details).toEqual({ flags: ['a', 'b'] })
    }
    expect(decideSegmentRemove('production', 'beta', segment, [])).toBe(segment)
  })

  it('publishes a removal as a deletion', () => {
    expect(segmentRemoved(segment, 8, 'a')).toEqual({
      change: { type: 'segment_deleted', version: 8, key: 'beta' },
      audit: { actor: 'a', action: 'segment.delete', before: segment, details: { segment: 'beta' } },
    })
  })
})

describe('API keys', () => {
  it('audits a new key without its secret', () => {
    expect(keyCreated(key, 'alice')).toEqual({ actor: 'alice', action: 'key.create', envKey: 'production', after: key })
  })

  it('keeps the first revocation time', () => {
    expect(decideRevoke('k1', key, 50)).toEqual({ revokedAt: 50 })
    expect(decideRevoke('k1', { ...key, revokedAt: 20 }, 50)).toEqual({ revokedAt: 20 })
    expect(() => decideRevoke('k9', undefined, 50)).toThrow('key k9 not found')
    const after = { ...key, revokedAt: 50 }
    expect(keyRevoked(key, after, 'bob')).toEqual({
      actor: 'bob',
      action: 'key.revoke',
      envKey: 'production',
      before: key,
      after,
    })
  })
})

describe('guard counts', () => {
  const batch = (id: string, flags: Record<string, LegacyCounts>) => ({
    id,
    flags: Object.fromEntries(Object.entries(flags).map(([flag, counts]) => [flag, fromLegacyCounts(counts)])),
  })
  /** The long rows of one (environment, flag, minute): one per counter. */
  const long = (flagKey: string, minute: number, [ce, cx, ke, kx]: LegacyCounts) =>
    [
      ['canary', 'errors', cx],
      ['canary', 'exposures', ce],
      ['control', 'errors', kx],
      ['control', 'exposures', ke],
    ].map(([arm, metric, count]) => ({ envKey: 'prod', flagKey, minute, arm, metric, count }))

  it('sums batches per environment, flag, minute, arm and metric, sorted', () => {
    const sums = groupOf([
      { envKey: 'prod', batch: batch('b1', { x: [1, 0, 2, 0], a: [1, 1, 1, 1] }), receivedAt: 60_500 },
      { envKey: 'prod', batch: batch('b2', { x: [3, 1, 0, 0.5] }), receivedAt: 119_999 },
      { envKey: 'prod', batch: batch('b3', { x: [1, 0, 0, 0] }), receivedAt: 120_000 },
    ]).counts
    expect(sums).toEqual([...long('a', 60_000, [1, 1, 1, 1]), ...long('x', 120_000, [1, 0, 0, 0]), ...long('x', 60_000, [4, 1, 2, 0.5])])
  })

  it('reads long minute rows back as evidence per minute, skipping counters it does not know', () => {
    const rows = [...long('x', 60_000, [4, 1, 2, 0.5]), { envKey: 'prod', flagKey: 'x', minute: 60_000, arm: 'canary' as const, metric: 'latency', count: 9 }]
    expect(minuteRows(rows as Parameters<typeof minuteRows>[0])).toEqual([
      { envKey: 'prod', flagKey: 'x', minute: 60_000, counts: fromLegacyCounts([4, 1, 2, 0.5]) },
    ])
  })

  it('folds batches as they come, starts empty after take, and takes back a group that could not be stored', () => {
    const pending = new PendingBatches()
    pending.add('prod', batch('b1', { x: [1, 0, 2, 0] }), 60_500)
    pending.add('prod', batch('b2', { x: [3, 1, 0, 0.5] }), 119_999)
    const failed = pending.take()!
    expect(pending.size).toBe(0)
    expect(pending.take()).toBeUndefined()
    pending.add('prod', batch('b3', { x: [1, 0, 0, 0] }), 60_001)
    pending.restore(failed)
    expect(pending.size).toBe(3)
    const group = pending.take()!
    expect(group.ids.map((row) => row.id)).toEqual(['prod:b1', 'prod:b2', 'prod:b3'])
    expect(group.counts).toEqual(long('x', 60_000, [5, 1, 2, 0.5]))
  })

  it('records each batch id once, sorted', () => {
    const entries = [
      { envKey: 'prod', batch: batch('b2', {}), receivedAt: 2 },
      { envKey: 'dev', batch: batch('b1', {}), receivedAt: 1 },
      { envKey: 'prod', batch: batch('b2', {}), receivedAt: 3 },
    ]
    expect(groupOf(entries).ids).toEqual([
      { id: 'dev:b1', envKey: 'dev', receivedAt: 1 },
      { id: 'prod:b2', envKey: 'prod', receivedAt: 3 },
    ])
  })
})
