// Contract: sdk/SPEC.md §5.1 (messages, gaps, resync) and §10 (bootstrap, status). Where this test and the spec disagree, one of them is a bug.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createFlagClient, type ClientDeps } from '../../../sdk/client/client.ts'
import { ClientError } from '../../../sdk/client/errors.ts'
import type { PostOutcome } from '../../../sdk/client/metrics-reporter.ts'
import { createResultsMode } from '../../../sdk/client/results-mode.ts'
import { createRulesMode } from '../../../sdk/client/rules-mode.ts'
import type { StateCache } from '../../../sdk/client/state-cache.ts'
import type { Connect, TransportHandlers } from '../../../sdk/client/transport.ts'
import type { FlagClient } from '../../../sdk/client/types.ts'
import type { Change, Snapshot } from '../../../sdk/core/changes.ts'
import type { ClientMessage, MetricsBatch, ServerMessage } from '../../../sdk/core/protocol.ts'
import type { FlagState } from '../../../sdk/core/types.ts'
import { BUCKETING_MODES } from '../../../sdk/core/types.ts'

/** A server-key SDK announces every bucketing mode in its hello. */
const ALL_MODES = [...BUCKETING_MODES]

/**
 * A transport the test drives by hand: it records what the client sends and delivers what the
 * test says the server sent. Pure sequencing; the real socket is covered by the integration tests.
 */
function fakeTransport() {
  let handlers: TransportHandlers | undefined
  let open = false
  const sent: ClientMessage[] = []
  const stats = { reconnects: 0, closed: false }
  const connect: Connect = (h) => {
    handlers = h
    return {
      send(message) {
        if (!open) return false
        sent.push(message)
        return true
      },
      reconnect() {
        stats.reconnects++
      },
      close() {
        open = false
        stats.closed = true
      },
    }
  }
  const h = () => {
    if (handlers === undefined) throw new Error('client never connected')
    return handlers
  }
  return {
    connect,
    sent,
    stats,
    open() {
      open = true
      h().open()
    },
    receive(message: ServerMessage | string) {
      h().message(typeof message === 'string' ? message : JSON.stringify(message))
    },
    drop() {
      open = false
      h().down()
    },
    refuse() {
      open = false
      h().fatal(new ClientError('unauthorized', 'the server refused the SDK key (HTTP 401)'))
    },
    ping: () => h().ping(),
    of: <T extends ClientMessage['type']>(type: T) =>
      sent.filter((m): m is Extract<ClientMessage, { type: T }> => m.type === type),
  }
}

const flag = (key: string, version: number, overrides: Partial<FlagState> = {}): FlagState => ({
  key,
  enabled: true,
  salt: key,
  stickiness: 'userId',
  cohorts: [{ name: 'everyone', conditions: [], rollout: 100 }],
  version,
  ...overrides,
})

const snapshot = (version: number, flags: FlagState[]): ServerMessage => ({
  type: 'snapshot',
  environment: 'development',
  version,
  flags,
  segments: [],
})

const changes = (...list: Change[]): ServerMessage => ({ type: 'changes', changes: list })

function rulesClient(overrides: Partial<ClientDeps> = {}) {
  const fake = fakeTransport()
  const client = createFlagClient({
    mode: createRulesMode(),
    connect: fake.connect,
    sdkName: 'test-sdk',
    ...overrides,
  })
  return { fake, client }
}

function resultsClient(overrides: Partial<ClientDeps> = {}) {
  const fake = fakeTransport()
  const client = createFlagClient({
    mode: createResultsMode({ userId: 'u1' }),
    connect: fake.connect,
    sdkName: 'test-sdk',
    user: { userId: 'u1' },
    ...overrides,
  })
  return { fake, client }
}

const clients: FlagClient[] = []
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(clients.splice(0).map((client) => client.close({ timeoutMs: 0 })))
})

/** Closes the client after the test (its flush timer would otherwise outlive it). */
function track<T extends { client: FlagClient }>(made: T): T {
  clients.push(made.client)
  return made
}

describe('rules mode: applying server messages', () => {
  it('says hello without a version, then answers from the snapshot', async () => {
    const { fake, client } = track(rulesClient())
    expect(client.status).toBe('not_ready')
    expect(client.isEnabled('a', { userId: 'u1' })).toBe(false)
    fake.open()
    expect(fake.sent[0]).toEqual({ type: 'hello', sdk: 'test-sdk', bucketing: ALL_MODES })
    // The heartbeat as it goes on the wire: no version before any state, then the held one.
    expect(JSON.stringify(fake.ping())).toBe('{"type":"ping"}')
    fake.receive(snapshot(3, [flag('a', 3)]))
    await client.ready({ timeoutMs: 100 })
    expect(client.status).toBe('ready')
    expect(client.version).toBe(3)
    expect(JSON.stringify(fake.ping())).toBe('{"type":"ping","version":3}')
    expect(client.isEnabled('a', { userId: 'u1' })).toBe(true)
  })

  it('applies changes in order and lists the changed keys in one change event', () => {
    const { fake, client } = track(rulesClient())
    const seen: string[][] = []
    client.on('change', (keys) => seen.push(keys))
    fake.open()
    fake.receive(snapshot(1, [flag('a', 1), flag('b', 1)]))
    fake.receive(
      changes(
        { type: 'flag', version: 2, flag: flag('a', 2, { enabled: false }) },
        { type: 'flag_deleted', version: 3, key: 'b' },
      ),
    )
    expect(seen).toEqual([['a', 'b']])
    expect(client.version).toBe(3)
    expect(client.explain('a', { userId: 'u1' })).toEqual({ enabled: false, reason: 'off' })
    expect(client.explain('b', { userId: 'u1' })).toEqual({ enabled: false, reason: 'unknown_flag' })
  })

  it('ignores a change it already applied (no event, no resync)', () => {
    const { fake, client } = track(rulesClient())
    const seen: string[][] = []
    client.on('change', (keys) => seen.push(keys))
    fake.open()
    fake.receive(snapshot(1, [flag('a', 1)]))
    const change: Change = { type: 'flag', version: 2, flag: flag('a', 2, { enabled: false }) }
    fake.receive(changes(change))
    fake.receive(changes(change))
    expect(seen).toEqual([['a']])
    expect(fake.of('hello')).toHaveLength(1)
    expect(client.version).toBe(2)
  })

  it('on a version gap keeps its state and says hello again with its version', () => {
    const { fake, client } = track(rulesClient())
    fake.open()
    fake.receive(snapshot(1, [flag('a', 1)]))
    fake.receive(changes({ type: 'flag', version: 3, flag: flag('a', 3, { enabled: false }) }))
    expect(fake.of('hello')).toEqual([
      { type: 'hello', sdk: 'test-sdk', bucketing: ALL_MODES },
      { type: 'hello', sdk: 'test-sdk', version: 1, bucketing: ALL_MODES },
    ])
    expect(client.version).toBe(1)
    expect(client.isEnabled('a', { userId: 'u1' })).toBe(true)
    // The server replays what was missed; the resync is over.
    fake.receive(
      changes(
        { type: 'flag', version: 2, flag: flag('a', 2) },
        { type: 'flag', version: 3, flag: flag('a', 3, { enabled: false }) },
      ),
    )
    expect(client.version).toBe(3)
    expect(client.isEnabled('a', { userId: 'u1' })).toBe(false)
    expect(fake.stats.reconnects).toBe(0)
  })

  it('reconnects when a second gap arrives while a resync is pending', () => {
    const { fake } = track(rulesClient())
    fake.open()
    fake.receive(snapshot(1, [flag('a', 1)]))
    fake.receive(changes({ type: 'flag', version: 3, flag: flag('a', 3) }))
    fake.receive(changes({ type: 'flag', version: 4, flag: flag('a', 4) }))
    expect(fake.of('hello')).toHaveLength(2)
    expect(fake.stats.reconnects).toBe(1)
  })

  it('resyncs on an unparseable frame and on a change that does not fit', () => {
    const { fake, client } = track(rulesClient())
    fake.open()
    fake.receive(snapshot(1, [flag('a', 1)]))
    fake.receive('{"type":"changes","changes":[{"version":2,"type":"flag"}]}')
    expect(fake.of('hello').at(-1)).toEqual({ type: 'hello', sdk: 'test-sdk', version: 1, bucketing: ALL_MODES })
    expect(client.version).toBe(1)
    fake.receive(snapshot(2, [flag('a', 2)]))
    fake.receive('not json at all')
    expect(fake.of('hello')).toHaveLength(3)
    expect(client.isEnabled('a', { userId: 'u1' })).toBe(true)
  })

  it('asks for a snapshot when changes arrive before any state', () => {
    const { fake, client } = track(rulesClient())
    fake.open()
    fake.receive(changes({ type: 'flag', version: 1, flag: flag('a', 1) }))
    expect(fake.of('hello')).toHaveLength(2)
    expect(client.status).toBe('not_ready')
  })

  it('reports the keys a reconnect snapshot changed, and nothing for an identical one', () => {
    const { fake, client } = track(rulesClient())
    const seen: string[][] = []
    client.on('change', (keys) => seen.push(keys))
    fake.open()
    fake.receive(snapshot(1, [flag('a', 1), flag('b', 1)]))
    fake.drop()
    expect(client.status).toBe('stale')
    fake.open()
    fake.receive(snapshot(1, [flag('a', 1), flag('b', 1)]))
    fake.receive(snapshot(5, [flag('a', 1), flag('b', 5, { enabled: false }), flag('c', 4)]))
    expect(seen).toEqual([['b', 'c']])
    expect(client.status).toBe('ready')
  })

  it('resumes from a bootstrap: ready at once, hello carries its version', async () => {
    const bootstrap: Snapshot = { environment: 'development', version: 7, flags: [flag('a', 7)], segments: [] }
    const { fake, client } = track(rulesClient({ bootstrap }))
    await client.ready({ timeoutMs: 10 })
    expect(client.status).toBe('stale')
    expect(client.isEnabled('a', { userId: 'u1' })).toBe(true)
    fake.open()
    expect(fake.sent[0]).toEqual({ type: 'hello', sdk: 'test-sdk', version: 7, bucketing: ALL_MODES })
    expect(fake.ping()).toEqual({ type: 'ping', version: 7 })
    fake.receive(changes())
    expect(client.status).toBe('ready')
  })

  it('evaluates for the default user when a call passes none', () => {
    const beta = flag('a', 1, {
      cohorts: [{ name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['u1'] }], rollout: 100 }],
    })
    const { fake, client } = track(rulesClient({ user: { userId: 'u1' } }))
    fake.open()
    fake.receive(snapshot(1, [beta]))
    expect(client.isEnabled('a')).toBe(true)
    expect(client.isEnabled('a', { userId: 'u2' })).toBe(false)
    void client.identify({ userId: 'u2' })
    expect(client.isEnabled('a')).toBe(false)
  })
})

describe('answers never throw', () => {
  it('gives the default for unknown flags, before ready, and for broken users', () => {
    const { fake, client } = track(rulesClient())
    expect(client.isEnabled('a', { userId: 'u1' }, true)).toBe(true)
    expect(client.explain('a', undefined, true)).toEqual({ enabled: true, reason: 'not_ready' })
    fake.open()
    const regional = flag('regional', 1, {
      cohorts: [{ name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu'] }], rollout: 100 }],
    })
    fake.receive(snapshot(1, [flag('a', 1), regional]))
    expect(client.isEnabled('missing', { userId: 'u1' }, true)).toBe(true)
    expect(client.explain('missing', undefined, true)).toEqual({ enabled: true, reason: 'unknown_flag' })
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('a throwing getter')
        },
      },
    )
    expect(client.isEnabled('regional', hostile, true)).toBe(true)
    expect(client.explain('regional', hostile)).toEqual({ enabled: false, reason: 'error' })
  })
})

describe('results mode: applying server messages', () => {
  it('sends its user in hello, takes full results, then applies differences', () => {
    const { fake, client } = track(resultsClient())
    const seen: string[][] = []
    client.on('change', (keys) => seen.push(keys))
    fake.open()
    expect(fake.sent[0]).toEqual({ type: 'hello', sdk: 'test-sdk', user: { userId: 'u1' } })
    fake.receive({
      type: 'results',
      version: 2,
      full: true,
      results: { a: { enabled: true, reason: 'cohort:beta' }, b: { enabled: false, reason: 'no_match' } },
    })
    expect(client.status).toBe('ready')
    expect(client.isEnabled('a')).toBe(true)
    // Results are for the identified user: another user argument does not change them.
    expect(client.isEnabled('a', { userId: 'someone-else' })).toBe(true)
    fake.receive({ type: 'results', version: 3, full: false, results: { a: { enabled: false, reason: 'off' } } })
    fake.receive({ type: 'results', version: 4, full: false, results: { b: null } })
    expect(seen).toEqual([['a'], ['b']])
    expect(client.explain('a')).toEqual({ enabled: false, reason: 'off' })
    expect(client.explain('b')).toEqual({ enabled: false, reason: 'unknown_flag' })
    expect(client.version).toBe(4)
  })

  it('identify sends the new user and resolves when its results arrive', async () => {
    const { fake, client } = track(resultsClient())
    fake.open()
    fake.receive({ type: 'results', version: 1, full: true, results: { a: { enabled: false, reason: 'no_match' } } })
    let resolved = false
    const done = client.identify({ userId: 'u2' }).then(() => (resolved = true))
    expect(fake.sent.at(-1)).toEqual({ type: 'identify', user: { userId: 'u2' } })
    await Promise.resolve()
    expect(resolved).toBe(false)
    fake.receive({ type: 'results', version: 1, full: true, results: { a: { enabled: true, reason: 'cohort:beta' } } })
    await done
    expect(client.isEnabled('a')).toBe(true)
    // Reconnecting says hello as the new user.
    fake.drop()
    fake.open()
    expect(fake.sent.at(-1)).toEqual({ type: 'hello', sdk: 'test-sdk', user: { userId: 'u2' } })
  })

  it('identify is not resolved by the full set still in flight for the earlier hello', async () => {
    const { fake, client } = track(resultsClient())
    fake.open()
    let resolved = false
    const done = client.identify({ userId: 'u2' }).then(() => (resolved = true))
    // The answer to hello (for u1) arrives first…
    fake.receive({ type: 'results', version: 1, full: true, results: { a: { enabled: false, reason: 'no_match' } } })
    await Promise.resolve()
    expect(resolved).toBe(false)
    // …then the answer to identify (for u2).
    fake.receive({ type: 'results', version: 1, full: true, results: { a: { enabled: true, reason: 'cohort:beta' } } })
    await done
    expect(client.isEnabled('a')).toBe(true)
  })

  it('resyncs when a difference arrives before any full set', () => {
    const { fake } = track(resultsClient())
    fake.open()
    fake.receive({ type: 'results', version: 1, full: false, results: { a: { enabled: true, reason: 'cohort:x' } } })
    expect(fake.of('hello')).toHaveLength(2)
  })
})

describe('lifecycle and events', () => {
  it('rejects ready() after the timeout when no state arrives', async () => {
    const { client } = track(rulesClient())
    await expect(client.ready({ timeoutMs: 20 })).rejects.toMatchObject({ code: 'timeout' })
  })

  it('on a refused key: rejects ready, reports one error, status fatal', async () => {
    const errors: ClientError[] = []
    const onError = vi.fn()
    const { fake, client } = track(rulesClient({ onError }))
    client.on('error', (error) => errors.push(error))
    const ready = client.ready()
    fake.refuse()
    await expect(ready).rejects.toMatchObject({ code: 'unauthorized' })
    expect(errors.map((e) => e.code)).toEqual(['unauthorized'])
    expect(onError).toHaveBeenCalledTimes(1)
    expect(client.status).toBe('fatal')
  })

  it('emits ready once and disconnected on each drop', async () => {
    const { fake, client } = track(rulesClient())
    const ready = vi.fn()
    const disconnected = vi.fn()
    client.on('ready', ready)
    client.on('disconnected', disconnected)
    fake.open()
    fake.receive(snapshot(1, [flag('a', 1)]))
    fake.drop()
    fake.open()
    fake.receive(changes())
    fake.drop()
    await Promise.resolve()
    expect(ready).toHaveBeenCalledTimes(1)
    expect(disconnected).toHaveBeenCalledTimes(2)
  })

  it('a throwing listener does not stop the others or the client', () => {
    const logged: unknown[] = []
    const { fake, client } = track(rulesClient({ logger: { error: (_m, e) => logged.push(e) } }))
    const after = vi.fn()
    client.on('change', () => {
      throw new Error('listener bug')
    })
    client.on('change', after)
    fake.open()
    fake.receive(snapshot(1, [flag('a', 1)]))
    fake.receive(changes({ type: 'flag', version: 2, flag: flag('a', 2, { enabled: false }) }))
    fake.receive(changes({ type: 'flag', version: 3, flag: flag('a', 3) }))
    expect(after).toHaveBeenCalledTimes(2)
    expect(logged).toHaveLength(2)
    expect(client.isEnabled('a', { userId: 'u1' })).toBe(true)
  })

  it('unsubscribe stops a listener', () => {
    const { fake, client } = track(rulesClient())
    const listener = vi.fn()
    const off = client.on('change', listener)
    fake.open()
    fake.receive(snapshot(1, [flag('a', 1)]))
    off()
    fake.receive(changes({ type: 'flag', version: 2, flag: flag('a', 2) }))
    expect(listener).not.toHaveBeenCalled()
  })

  it('close() rejects a pending ready() and closes the transport', async () => {
    const { fake, client } = rulesClient()
    const ready = client.ready()
    await client.close({ timeoutMs: 0 })
    await expect(ready).rejects.toMatchObject({ code: 'closed' })
    expect(fake.stats.closed).toBe(true)
    expect(client.status).toBe('closed')
  })
})

/** An in-memory cache that records every save. */
function memoryCache(initial?: unknown) {
  const saves: unknown[] = []
  let entry = initial
  const cache: StateCache = {
    load: () => entry,
    save(next) {
      entry = JSON.parse(JSON.stringify(next))
      saves.push(entry)
    },
  }
  return { cache, saves, current: () => entry }
}

describe('cache', () => {
  it('starts from the cache, then saves the latest state once per burst', async () => {
    const memory = memoryCache()
    const first = track(rulesClient({ cache: memory.cache, cacheDelayMs: 5 }))
    first.fake.open()
    first.fake.receive(snapshot(1, [flag('a', 1)]))
    first.fake.receive(changes({ type: 'flag', version: 2, flag: flag('a', 2, { enabled: false }) }))
    first.fake.receive(changes({ type: 'flag', version: 3, flag: flag('a', 3) }))
    await vi.waitFor(() => expect(memory.saves).toHaveLength(1))
    expect(memory.current()).toMatchObject({ mode: 'rules', snapshot: { version: 3 } })

    const second = track(rulesClient({ cache: memory.cache }))
    await second.client.ready({ timeoutMs: 10 })
    expect(second.client.version).toBe(3)
    expect(second.client.isEnabled('a', { userId: 'u1' })).toBe(true)
    second.fake.open()
    expect(second.fake.sent[0]).toEqual({ type: 'hello', sdk: 'test-sdk', version: 3, bucketing: ALL_MODES })
  })

  it('close() writes a pending cache entry before it resolves', async () => {
    const memory = memoryCache()
    const { fake, client } = rulesClient({ cache: memory.cache, cacheDelayMs: 60_000 })
    fake.open()
    fake.receive(snapshot(4, [flag('a', 4)]))
    expect(memory.saves).toHaveLength(0)
    await client.close({ timeoutMs: 0 })
    expect(memory.saves).toHaveLength(1)
  })

  it('reports a broken cache once and keeps working', async () => {
    const errors: ClientError[] = []
    let saveAttempts = 0
    const broken: StateCache = {
      load: () => {
        throw new SyntaxError('Unexpected token')
      },
      save: () => {
        saveAttempts++
        throw new Error('EROFS')
      },
    }
    const { fake, client } = track(rulesClient({ cache: broken, cacheDelayMs: 1, logger: {}, onError: (e) => errors.push(e) }))
    fake.open()
    fake.receive(snapshot(1, [flag('a', 1)]))
    fake.receive(changes({ type: 'flag', version: 2, flag: flag('a', 2) }))
    await vi.waitFor(() => expect(saveAttempts).toBeGreaterThanOrEqual(1))
    const attemptsBefore = saveAttempts
    fake.receive(changes({ type: 'flag', version: 3, flag: flag('a', 3) }))
    // The second failing save happened, and was not reported again.
    await vi.waitFor(() => expect(saveAttempts).toBeGreaterThan(attemptsBefore))
    expect(errors.map((e) => e.code)).toEqual(['cache'])
    expect(client.isEnabled('a', { userId: 'u1' })).toBe(true)
  })

  it('ignores a cached results entry of another user', async () => {
    const memory = memoryCache({
      mode: 'results',
      user: { userId: 'someone-else' },
      version: 3,
      results: { a: { enabled: true, reason: 'cohort:beta' } },
    })
    const { client } = track(resultsClient({ cache: memory.cache }))
    expect(client.status).toBe('not_ready')
    expect(client.isEnabled('a')).toBe(false)
  })
})

/** Lets every pending promise chain run (setImmediate is not faked). */
const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('guard counting through the client', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
    vi.setSystemTime(1_000_000)
  })

  /** `canary`: on for everyone; `control`: everyone outside a 0% rollout; `off` and `none`: not counted. */
  const guardFlags = [
    flag('canary', 1),
    flag('control', 1, { cohorts: [{ name: 'zero', conditions: [], rollout: 0 }] }),
    flag('off', 1, { enabled: false }),
    flag('none', 1, { cohorts: [{ name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu'] }], rollout: 50 }] }),
  ]

  function countingClient(post?: (batch: MetricsBatch) => Promise<PostOutcome>) {
    const made = track(
      rulesClient({ flushIntervalMs: 5000, ...(post === undefined ? {} : { postMetrics: post }) }),
    )
    made.fake.open()
    made.fake.receive(snapshot(1, guardFlags))
    return made
  }

  const exercise = (client: ReturnType<typeof rulesClient>['client']) => {
    const user = { userId: 'u1', region: 'us' }
    for (let i = 0; i < 3; i++) client.isEnabled('canary', user)
    client.explain('canary', user)
    client.isEnabled('control', user)
    client.isEnabled('control', user)
    client.isEnabled('off', user)
    client.isEnabled('none', user)
    client.isEnabled('unknown', user)
    client.recordError('canary', user)
    client.recordError('control', user)
    client.recordError('off', user)
    client.recordError('unknown', user)
  }

  it('counts exposures and errors per arm and sends them as one batch per interval', () => {
    const { fake, client } = countingClient()
    exercise(client)
    vi.advanceTimersByTime(5000)
    const batches = fake.of('metrics').map((m) => m.batch)
    expect(batches).toHaveLength(1)
    const batch = batches[0]!
    // The unknown key is named once, with no counts, so the connections list can count it.
    expect(batch.flags).toEqual({ canary: { canary: { exposures: 3, errors: 1 } }, control: { control: { exposures: 2, errors: 1 } }, unknown: {} })
    expect(batch.start).toBe(1_000_000)
    expect(batch.end).toBe(1_005_000)
    expect(typeof batch.id).toBe('string')
    expect(batch.id.length).toBeGreaterThan(8)
  })

  it('run evaluates once, runs the branch, and counts its exposure, duration and error in the arm it ran in', async () => {
    let clock = 0
    const made = track(rulesClient({ flushIntervalMs: 5000, now: () => clock }))
    made.fake.open()
    made.fake.receive(snapshot(1, guardFlags))
    const { client, fake } = made
    const user = { userId: 'u1', region: 'us' }
    const slow = async () => {
      clock += 700 // the branch took 700 ms on the injected clock
      return 'new'
    }
    expect(await client.run('canary', user, { on: slow, off: () => 'old' })).toBe('new')
    expect(await client.run('control', user, { on: () => 'new', off: () => 'old' })).toBe('old')
    const failure = new Error('checkout failed')
    await expect(
      client.run('canary', user, {
        on: () => {
          clock += 3
          throw failure
        },
        off: () => 'old',
      }),
    ).rejects.toBe(failure)
    // Unknown flag: the default branch, nothing counted, never a failure of its own.
    expect(await client.run('unknown', user, { on: () => 'new', off: () => 'old' })).toBe('old')
    // A request timed by hand is one more exposure (a duration never goes out without one).
    client.isEnabled('control', user)
    client.recordDuration('control', user, 40)
    client.recordDuration('control', user, Number.NaN)
    vi.advanceTimersByTime(5000)
    const [batch] = fake.of('metrics').map((m) => m.batch)
    // Buckets: ≤5 ms is 0, ≤50 ms is 3, 500–1000 ms is 7.
    expect(batch!.flags).toEqual({
      canary: { canary: { exposures: 2, errors: 1, durations: [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0] } },
      control: { control: { exposures: 2, errors: 0, durations: [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0] } },
    })
  })

  it('sends nothing for an interval without counts', () => {
    const { fake } = countingClient()
    vi.advanceTimersByTime(15_000)
    expect(fake.of('metrics')).toHaveLength(0)
  })

  it('does not send an acknowledged batch again, and never double counts', () => {
    const { fake, client } = countingClient()
    exercise(client)
    vi.advanceTimersByTime(5000)
    const [first] = fake.of('metrics')
    fake.receive({ type: 'metrics_ack', id: first!.batch.id })
    client.isEnabled('canary', { userId: 'u2' })
    vi.advanceTimersByTime(5000)
    fake.drop()
    fake.open()
    const batches = fake.of('metrics').map((m) => m.batch)
    expect(batches.map((b) => b.flags)).toEqual([
      { canary: { canary: { exposures: 3, errors: 1 } }, control: { control: { exposures: 2, errors: 1 } }, unknown: {} },
      { canary: { canary: { exposures: 1, errors: 0 } } },
      // The second was never acknowledged: it goes again, same id, on the new connection.
      { canary: { canary: { exposures: 1, errors: 0 } } },
    ])
    expect(batches[2]!.id).toBe(batches[1]!.id)
    expect(new Set(batches.map((b) => b.id)).size).toBe(2)
  })

  it('posts batches over HTTP while the socket is down, and drops them once delivered', async () => {
    const posted: MetricsBatch[] = []
    const { fake, client } = countingClient(async (batch) => {
      posted.push(batch)
      return 'delivered'
    })
    fake.drop()
    exercise(client)
    vi.advanceTimersByTime(5000)
    await macrotask()
    expect(posted).toHaveLength(1)
    expect(posted[0]!.flags).toEqual({ canary: { canary: { exposures: 3, errors: 1 } }, control: { control: { exposures: 2, errors: 1 } }, unknown: {} })
    fake.open()
    expect(fake.of('metrics')).toHaveLength(0)
  })

  it('keeps a batch the HTTP fallback could not deliver and sends it on reconnect', async () => {
    const post = vi.fn(async (): Promise<PostOutcome> => 'retry')
    const { fake, client } = countingClient(post)
    fake.drop()
    client.isEnabled('canary', { userId: 'u1' })
    vi.advanceTimersByTime(5000)
    await macrotask()
    expect(post).toHaveBeenCalledTimes(1)
    fake.open()
    expect(fake.of('metrics').map((m) => m.batch.flags)).toEqual([{ canary: { canary: { exposures: 1, errors: 0 } } }])
  })

  it('close() sends the last counts and waits for the acknowledgement', async () => {
    const { fake, client } = countingClient()
    client.isEnabled('canary', { userId: 'u1' })
    const closing = client.close({ timeoutMs: 10_000 })
    const [sent] = fake.of('metrics')
    expect(sent!.batch.flags).toEqual({ canary: { canary: { exposures: 1, errors: 0 } } })
    expect(fake.stats.closed).toBe(false)
    fake.receive({ type: 'metrics_ack', id: sent!.batch.id })
    await closing
    expect(fake.stats.closed).toBe(true)
  })

  it('counts every results-mode answer as an exposure: the server, not the browser, picks the arm', () => {
    const { fake, client } = track(resultsClient({ flushIntervalMs: 5000 }))
    fake.open()
    fake.receive({
      type: 'results',
      version: 1,
      full: true,
      results: {
        on: { enabled: true, reason: 'cohort:beta' },
        out: { enabled: false, reason: 'outside_rollout' },
        nomatch: { enabled: false, reason: 'no_match' },
      },
    })
    client.isEnabled('on')
    client.isEnabled('out')
    client.isEnabled('nomatch')
    client.recordError('out')
    vi.advanceTimersByTime(5000)
    expect(fake.of('metrics').map((m) => m.batch.flags)).toEqual([{ on: { canary: { exposures: 1, errors: 0 } }, out: { canary: { exposures: 1, errors: 1 } }, nomatch: { canary: { exposures: 1, errors: 0 } } }])
    // explain() is for debugging: it never feeds the guard.
    client.explain('on')
    vi.advanceTimersByTime(5000)
    expect(fake.of('metrics')).toHaveLength(1)
  })

  it('sends the user with a client-key batch on the HTTP fallback', async () => {
    const posted: Array<[MetricsBatch, unknown]> = []
    const { fake, client } = track(
      resultsClient({
        flushIntervalMs: 5000,
        postMetrics: async (batch: MetricsBatch, user?: unknown) => {
          posted.push([batch, user])
          return 'delivered'
        },
      }),
    )
    fake.open()
    fake.receive({ type: 'results', version: 1, full: true, results: { on: { enabled: true, reason: 'cohort:beta' } } })
    fake.drop()
    client.isEnabled('on')
    vi.advanceTimersByTime(5000)
    await macrotask()
    expect(posted).toHaveLength(1)
    expect(posted[0]![1]).toEqual(expect.objectContaining({ userId: expect.any(String) }))
  })

  it('drops a batch the server refused with an error in its acknowledgement', () => {
    const { fake, client } = countingClient()
    client.isEnabled('canary', { userId: 'u1' })
    vi.advanceTimersByTime(5000)
    const [sent] = fake.of('metrics')
    fake.receive({ type: 'metrics_ack', id: sent!.batch.id, error: { code: 'invalid_input', message: 'batch.flags: bad' } })
    fake.drop()
    fake.open()
    expect(fake.of('metrics')).toHaveLength(1)
  })
})
