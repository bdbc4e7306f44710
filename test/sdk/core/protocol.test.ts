// Contract: sdk/SPEC.md §5 (stream protocol) and §6 (close codes). Where this test and the spec disagree, one of them is a bug.
import { describe, expect, it } from 'vitest'
import { CLOSE, MAX_RESTART_SPREAD_MS, PROTOCOL, parseClientMessage, parseServerMessage, restartCloseReason, restartSpreadOf } from '../../../sdk/core/protocol.ts'
import { restartSpreadFor } from '../../../server/stream/stream-server.ts'

/** The WebSocket frames' parsers, one frame at a time (the stream tests run them over sockets). */
describe('parseClientMessage', () => {
  it('refuses what is not a JSON object', () => {
    expect(parseClientMessage('{')).toBe('invalid JSON')
    for (const text of ['null', '[]', '"hello"', '1', 'true'])
      expect(parseClientMessage(text), text).toBe('a message must be a JSON object')
    expect(parseClientMessage('{}')).toBe('unknown message type undefined')
    expect(parseClientMessage('{"type":"bye"}')).toBe('unknown message type "bye"')
  })

  it('reads hello with an sdk name, an optional version and an optional user', () => {
    expect(parseClientMessage('{"type":"hello","sdk":"node/1"}')).toEqual({ type: 'hello', sdk: 'node/1' })
    expect(parseClientMessage('{"type":"hello","sdk":"node/1","version":0}')).toEqual({ type: 'hello', sdk: 'node/1', version: 0 })
    expect(parseClientMessage('{"type":"hello","sdk":"web","user":{"userId":"u"}}')).toEqual({
      type: 'hello',
      sdk: 'web',
      user: { userId: 'u' },
    })
    expect(parseClientMessage('{"type":"hello"}')).toBe('hello.sdk must be a string')
    expect(parseClientMessage('{"type":"hello","sdk":1}')).toBe('hello.sdk must be a string')
    for (const version of ['-1', '1.5', '"3"', 'null'])
      expect(parseClientMessage(`{"type":"hello","sdk":"s","version":${version}}`), version).toBe(
        'hello.version must be a non-negative integer',
      )
    for (const user of ['"u"', '[]', 'null', '1'])
      expect(parseClientMessage(`{"type":"hello","sdk":"s","user":${user}}`), user).toBe('hello.user must be an object')
  })

  it('reads identify with a user object', () => {
    expect(parseClientMessage('{"type":"identify","user":{"userId":"u"}}')).toEqual({ type: 'identify', user: { userId: 'u' } })
    for (const user of ['"u"', '[]', 'null'])
      expect(parseClientMessage(`{"type":"identify","user":${user}}`), user).toBe('identify.user must be an object')
    expect(parseClientMessage('{"type":"identify"}')).toBe('identify.user must be an object')
  })

  it('reads ping, keeping only a valid version', () => {
    expect(parseClientMessage('{"type":"ping"}')).toEqual({ type: 'ping' })
    expect(parseClientMessage('{"type":"ping","version":0}')).toEqual({ type: 'ping', version: 0 })
    expect(parseClientMessage('{"type":"ping","version":12,"extra":1}')).toEqual({ type: 'ping', version: 12 })
    for (const version of ['-1', '0.5', '"1"']) expect(parseClientMessage(`{"type":"ping","version":${version}}`)).toEqual({ type: 'ping' })
  })

  it('reads only the envelope of metrics', () => {
    expect(parseClientMessage('{"type":"metrics","batch":{"id":"b"},"extra":1}')).toEqual({ type: 'metrics', batch: { id: 'b' } })
    for (const batch of ['[]', 'null', '"b"'])
      expect(parseClientMessage(`{"type":"metrics","batch":${batch}}`), batch).toBe('metrics.batch must be an object')
  })
})

describe('parseServerMessage', () => {
  it('answers undefined to anything it does not understand', () => {
    for (const text of ['{', 'null', '[]', '"snapshot"', '{}', '{"type":"bye"}']) expect(parseServerMessage(text), text).toBeUndefined()
  })

  it('reads a snapshot with a version and arrays of flags and segments', () => {
    const snapshot = { type: 'snapshot', version: 0, flags: [], segments: [] }
    expect(parseServerMessage(JSON.stringify(snapshot))).toEqual(snapshot)
    expect(parseServerMessage(JSON.stringify({ ...snapshot, version: -1 }))).toBeUndefined()
    expect(parseServerMessage(JSON.stringify({ ...snapshot, version: 1.5 }))).toBeUndefined()
    expect(parseServerMessage(JSON.stringify({ ...snapshot, flags: {} }))).toBeUndefined()
    expect(parseServerMessage(JSON.stringify({ ...snapshot, segments: null }))).toBeUndefined()
  })

  it('reads changes only when every change is an object with a version', () => {
    const changes = { type: 'changes', changes: [{ type: 'flag_deleted', key: 'a', version: 3 }, { version: 4 }] }
    expect(parseServerMessage(JSON.stringify(changes))).toEqual(changes)
    expect(parseServerMessage('{"type":"changes","changes":[]}')).toEqual({ type: 'changes', changes: [] })
    expect(parseServerMessage('{"type":"changes","changes":[{"version":3},{"key":"a"}]}')).toBeUndefined()
    expect(parseServerMessage('{"type":"changes","changes":[{"version":3},[]]}')).toBeUndefined()
    expect(parseServerMessage('{"type":"changes","changes":{}}')).toBeUndefined()
  })

  it('reads results, metrics acknowledgements and pong', () => {
    const results = { type: 'results', version: 2, full: true, results: { a: null } }
    expect(parseServerMessage(JSON.stringify(results))).toEqual(results)
    expect(parseServerMessage('{"type":"results","version":-2,"results":{}}')).toBeUndefined()
    expect(parseServerMessage('{"type":"results","version":2,"results":[]}')).toBeUndefined()
    expect(parseServerMessage('{"type":"metrics_ack","id":"b1"}')).toEqual({ type: 'metrics_ack', id: 'b1' })
    expect(parseServerMessage('{"type":"metrics_ack","id":1}')).toBeUndefined()
    expect(parseServerMessage('{"type":"pong","extra":1}')).toEqual({ type: 'pong' })
  })

  it('names the sub-protocol and the close codes SDKs act on', () => {
    expect(PROTOCOL).toBe('canary-flags.v1')
    expect(CLOSE).toEqual({
      invalidPayload: 1007,
      policy: 1008,
      tooBig: 1009,
      goingAway: 1001,
      restart: 1012,
      revoked: 4401,
      rightsChanged: 4403,
      slowConsumer: 4408,
      rateLimited: 4429,
    })
  })
})

describe('the restart close (1012) and the window it asks for', () => {
  it('names the window in its reason, under the 123 bytes a close reason may hold, and reads it back', () => {
    const reason = restartCloseReason(5000)
    expect(reason).toBe('server restarting: reconnect within 5000 ms')
    expect(Buffer.byteLength(restartCloseReason(MAX_RESTART_SPREAD_MS))).toBeLessThanOrEqual(123)
    expect(restartSpreadOf(reason)).toBe(5000)
  })

  it('reads no window from another reason, and caps an absurd one', () => {
    expect(restartSpreadOf('server shutting down: reconnect')).toBeUndefined()
    expect(restartSpreadOf('')).toBeUndefined()
    expect(restartSpreadOf('reconnect within 999999999 ms')).toBe(MAX_RESTART_SPREAD_MS)
  })

  it('the server sizes the window to its fleet: connections ÷ rate, never under the SDK default', () => {
    expect(restartSpreadFor(0, 2000)).toBe(1000)
    expect(restartSpreadFor(1000, 2000)).toBe(1000)
    expect(restartSpreadFor(10_000, 2000)).toBe(5000)
    expect(restartSpreadFor(10_000_000, 2000)).toBe(MAX_RESTART_SPREAD_MS)
  })
})
