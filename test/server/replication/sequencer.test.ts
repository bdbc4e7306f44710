import { describe, expect, it, vi } from 'vitest'
import type { Change } from '../../../sdk/core/changes.ts'
import { createSequencer } from '../../../server/replication/sequencer.ts'

/** A flag change of `version` (the sequencer only reads versions). */
const change = (version: number): Change => ({ type: 'flag_deleted', key: `f${version}`, version })

/** A sequencer over an in-memory change log holding versions `kept.from`..`log.length`. */
function setup(options: { keptFrom?: number } = {}) {
  const log: Change[] = []
  const published: number[] = []
  const resyncs: Array<[string, number]> = []
  const sequencer = createSequencer({
    publish: (_env, c) => published.push(c.version),
    changesSince: async (_env, after) => {
      await Promise.resolve()
      if (after + 1 < (options.keptFrom ?? 1)) return undefined
      return log.filter((c) => c.version > after)
    },
    currentVersion: async () => log.length,
    resync: (env, version) => resyncs.push([env, version]),
    log: () => {},
  })
  const commit = () => {
    const c = change(log.length + 1)
    log.push(c)
    return c
  }
  return { sequencer, log, published, resyncs, commit }
}

describe('sequencer (one ordered publication path per replica)', () => {
  it('publishes own commits at once and drops versions already published', () => {
    const { sequencer, published, commit } = setup()
    sequencer.start([{ key: 'prod', version: 0 }])
    const one = commit()
    sequencer.offer('prod', one)
    sequencer.offer('prod', one)
    sequencer.notice('prod', 1)
    expect(published).toEqual([1])
  })

  it('holds a later own commit until the gap before it is read from the change log', async () => {
    const { sequencer, published, commit } = setup()
    sequencer.start([{ key: 'prod', version: 0 }])
    commit() // another replica's: 1, 2
    commit()
    const mine = commit()
    sequencer.offer('prod', mine)
    expect(published).toEqual([])
    await vi.waitFor(() => expect(published).toEqual([1, 2, 3]))
  })

  it('catches up to an announced version from the change log, each change once, in order', async () => {
    const { sequencer, published, commit } = setup()
    sequencer.start([{ key: 'prod', version: 0 }])
    for (let i = 0; i < 5; i++) commit()
    sequencer.notice('prod', 3)
    sequencer.notice('prod', 5)
    sequencer.notice('prod', 2)
    await sequencer.idle()
    await vi.waitFor(() => expect(published).toEqual([1, 2, 3, 4, 5]))
  })

  it('starts at the versions listeners loaded: older announcements publish nothing', async () => {
    const { sequencer, published, commit } = setup()
    for (let i = 0; i < 4; i++) commit()
    sequencer.start([{ key: 'prod', version: 4 }])
    sequencer.notice('prod', 3)
    commit()
    sequencer.notice('prod', 5)
    await vi.waitFor(() => expect(published).toEqual([5]))
  })

  it('resyncs (never a silent gap) when the change log no longer holds what is missing', async () => {
    const { sequencer, published, resyncs, commit } = setup({ keptFrom: 4 })
    sequencer.start([{ key: 'prod', version: 0 }])
    for (let i = 0; i < 5; i++) commit()
    sequencer.notice('prod', 5)
    await vi.waitFor(() => expect(resyncs).toEqual([['prod', 5]]))
    expect(published).toEqual([])
    const next = commit()
    sequencer.offer('prod', next)
    expect(published).toEqual([6])
  })
})
