import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LogStore } from '../../../server/store/contract.ts'
import { BUCKETING_MODES } from '../../../sdk/core/types.ts'
import { createMissedChanges, type Missed } from '../../../server/stream/missed-changes.ts'
import { makeStack, type Stack } from '../../helpers/stack.ts'

/** The change log of a real stack, with its reads counted. */
let s: Stack
let reads = 0
let failNext = false
const logs: Pick<LogStore, 'changesSince'> = {
  changesSince: (env, after, upTo) => {
    reads++
    if (failNext) {
      failNext = false
      return Promise.reject(new Error('database is locked'))
    }
    return s.store.logs.changesSince(env, after, upTo)
  },
}
let version = 0

beforeAll(async () => {
  s = await makeStack()
  for (const key of ['a', 'b', 'c']) {
    expect((await s.call('POST', '/api/v1/flags', { body: { key } })).status).toBe(201)
    expect((await s.call('PATCH', `/api/v1/environments/production/flags/${key}`, { body: { enabled: true } })).status).toBe(200)
  }
  version = (await s.rules.load('production')).version
})
afterAll(() => s.close())

/** An SDK that announced every bucketing mode (one view). */
const ALL = new Set(BUCKETING_MODES)

const parsed = (missed: Missed | undefined) => JSON.parse(missed!.frame.text.toString()) as { type: string; changes: Array<{ version: number }> }

describe('the missed changes of a reconnecting SDK', () => {
  it('answers an SDK that holds the current version with the empty "in sync" frame, reading nothing', async () => {
    reads = 0
    const missed = createMissedChanges(logs)
    expect(parsed(await missed('production', version, version, ALL))).toEqual({ type: 'changes', changes: [] })
    expect(reads).toBe(0)
  })

  it('reads and encodes the changes once for every SDK that comes back at the same version', async () => {
    reads = 0
    const missed = createMissedChanges(logs)
    const frames = await Promise.all(Array.from({ length: 200 }, () => missed('production', version - 2, version, ALL)))
    expect(reads).toBe(1)
    expect(new Set(frames.map((m) => m!.frame)).size).toBe(1)
    expect(parsed(frames[0]).changes.map((c) => c.version)).toEqual([version - 1, version])
    // Another starting version is another read.
    expect(parsed(await missed('production', version - 1, version, ALL)).changes.map((c) => c.version)).toEqual([version])
    expect(reads).toBe(2)
  })

  it('gives undefined (a snapshot then) when the log does not hold every missed change', async () => {
    const missed = createMissedChanges({ changesSince: async () => undefined })
    expect(await missed('production', 1, version, ALL)).toBeUndefined()
  })

  it('keeps no failed read: the next SDK reads again', async () => {
    reads = 0
    const missed = createMissedChanges(logs)
    failNext = true
    await expect(missed('production', version - 1, version, ALL)).rejects.toThrow('database is locked')
    expect(parsed(await missed('production', version - 1, version, ALL)).changes).toHaveLength(1)
    expect(reads).toBe(2)
  })
})
