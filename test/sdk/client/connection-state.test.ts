import { describe, expect, it } from 'vitest'
import {
  INITIAL_CONNECTION_STATE,
  isTerminal,
  reduceConnection,
  type ConnectionEvent,
  type ConnectionState,
} from '../../../sdk/client/connection-state.ts'

const run = (events: ConnectionEvent[], from: ConnectionState = INITIAL_CONNECTION_STATE) =>
  events.reduce(reduceConnection, from)

const opened: ConnectionEvent = { type: 'opened' }
const inSync: ConnectionEvent = { type: 'in_sync', fullSet: false }
const fullSet: ConnectionEvent = { type: 'in_sync', fullSet: true }

describe('reduceConnection', () => {
  it('starts not ready, down, with no state and nothing owed', () => {
    expect(INITIAL_CONNECTION_STATE).toEqual({ status: 'not_ready', hasState: false, link: 'down', fullSetsOwed: 0 })
  })

  it('a bootstrap or cache entry makes the client stale with state, still down', () => {
    expect(run([{ type: 'state_loaded' }])).toEqual({ status: 'stale', hasState: true, link: 'down', fullSetsOwed: 0 })
  })

  it('an open connection alone changes no status; the first in-order message makes it ready', () => {
    const up = run([opened])
    expect(up).toMatchObject({ status: 'not_ready', link: 'up', hasState: false })
    expect(reduceConnection(up, inSync)).toMatchObject({ status: 'ready', link: 'up', hasState: true })
  })

  it('a lost connection is stale with state and not_ready without', () => {
    expect(run([opened, { type: 'lost' }])).toMatchObject({ status: 'not_ready', link: 'down' })
    expect(run([opened, inSync, { type: 'lost' }])).toMatchObject({ status: 'stale', link: 'down', hasState: true })
  })

  it('a gap while up starts a resync; the next in-order message ends it', () => {
    const resyncing = run([opened, inSync, { type: 'gap' }])
    expect(resyncing.link).toBe('resyncing')
    expect(resyncing.status).toBe('ready')
    expect(reduceConnection(resyncing, inSync).link).toBe('up')
  })

  it('a second gap while resyncing and a gap while down leave the state as it is (same object)', () => {
    const resyncing = run([opened, { type: 'gap' }])
    expect(reduceConnection(resyncing, { type: 'gap' })).toBe(resyncing)
    const down = run([{ type: 'state_loaded' }])
    expect(reduceConnection(down, { type: 'gap' })).toBe(down)
  })

  it('a new connection forgets the resync and the full sets the old one owed', () => {
    const owed = run([opened, { type: 'user_sent' }, { type: 'user_sent' }, { type: 'gap' }, { type: 'lost' }])
    expect(owed).toMatchObject({ fullSetsOwed: 2, link: 'down' })
    expect(reduceConnection(owed, opened)).toMatchObject({ fullSetsOwed: 0, link: 'up' })
  })

  it('counts full result sets owed for each hello and identify, never below zero', () => {
    const twoOwed = run([opened, { type: 'user_sent' }, { type: 'user_sent' }])
    expect(twoOwed.fullSetsOwed).toBe(2)
    expect(run([fullSet], twoOwed).fullSetsOwed).toBe(1)
    expect(run([fullSet, fullSet, fullSet], twoOwed).fullSetsOwed).toBe(0)
    // Changes are not full sets: nothing owed is paid by them.
    expect(run([inSync], twoOwed).fullSetsOwed).toBe(2)
  })

  it('a refused key is fatal and stays fatal whatever happens next', () => {
    const fatal = run([opened, inSync, { type: 'refused' }])
    expect(fatal).toMatchObject({ status: 'fatal', link: 'down', hasState: true })
    for (const event of [opened, inSync, { type: 'lost' }, { type: 'state_loaded' }, { type: 'closed' }] as const) {
      expect(reduceConnection(fatal, event).status).toBe('fatal')
    }
  })

  it('close stops the link first, then the status is closed for good', () => {
    const stopped = run([opened, inSync, { type: 'stopped' }])
    expect(stopped).toMatchObject({ status: 'ready', link: 'down' })
    const closed = reduceConnection(stopped, { type: 'closed' })
    expect(closed.status).toBe('closed')
    expect(run([opened, inSync, { type: 'lost' }], closed).status).toBe('closed')
  })

  it('never mutates the state it is given', () => {
    const frozen = Object.freeze(run([opened]))
    expect(() => run([{ type: 'user_sent' }, { type: 'gap' }, inSync, { type: 'lost' }], frozen)).not.toThrow()
    expect(frozen).toEqual({ status: 'not_ready', hasState: false, link: 'up', fullSetsOwed: 0 })
  })

  it('isTerminal: fatal and closed only', () => {
    expect(['not_ready', 'ready', 'stale', 'fatal', 'closed'].filter((s) => isTerminal(s as never))).toEqual([
      'fatal',
      'closed',
    ])
  })
})
