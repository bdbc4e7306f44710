import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { createFlagClient } from '../../../sdk/client/client.ts'
import { createRulesMode } from '../../../sdk/client/rules-mode.ts'
import type { Connect, TransportHandlers } from '../../../sdk/client/transport.ts'
import type { FlagClient } from '../../../sdk/client/types.ts'
import type { Snapshot } from '../../../sdk/core/changes.ts'
import type { ClientMessage } from '../../../sdk/core/protocol.ts'
import type { User } from '../../../sdk/core/types.ts'
import { BUCKETING_MODES } from '../../../sdk/core/types.ts'

/**
 * The shared protocol scenarios (sdk/fixtures/protocol-scenarios.json, sdk/SPEC.md §5.1): the
 * same scripted server conversations every SDK replays, here against the TypeScript client's
 * sequencing with a transport the test drives by hand.
 */
interface Scenario {
  name: string
  bootstrap?: Snapshot
  hello?: { version: number }
  steps: Array<{
    server: unknown
    then: {
      version: number | null
      action: 'none' | 'hello' | 'reconnect'
      answers?: Array<{ flag: string; user: User; enabled: boolean; reason: string }>
    }
  }>
}

const { scenarios } = JSON.parse(
  readFileSync(new URL('../../../sdk/fixtures/protocol-scenarios.json', import.meta.url), 'utf8'),
) as { scenarios: Scenario[] }

function scriptedTransport() {
  let handlers: TransportHandlers | undefined
  const sent: ClientMessage[] = []
  const stats = { reconnects: 0 }
  const connect: Connect = (h) => {
    handlers = h
    return {
      send: (message) => (sent.push(message), true),
      reconnect: () => void stats.reconnects++,
      close: () => {},
    }
  }
  return { connect, sent, stats, handlers: () => handlers! }
}

const clients: FlagClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close({ timeoutMs: 0 })))
})

describe('shared protocol scenarios (SPEC.md §5.1)', () => {
  it('has scenarios to replay', () => expect(scenarios.length).toBeGreaterThan(5))

  for (const scenario of scenarios) {
    it(scenario.name, () => {
      const transport = scriptedTransport()
      const client = createFlagClient({
        mode: createRulesMode(),
        connect: transport.connect,
        sdkName: 'scenario-sdk',
        ...(scenario.bootstrap ? { bootstrap: scenario.bootstrap } : {}),
        logger: {},
      })
      clients.push(client)
      transport.handlers().open()
      const hello = transport.sent.filter((m) => m.type === 'hello')
      // The TS SDK evaluates every bucketing mode and says so (Go and Python check the version only).
      expect(hello).toEqual([{ type: 'hello', sdk: 'scenario-sdk', ...(scenario.hello ?? {}), bucketing: [...BUCKETING_MODES] }])
      for (const [index, step] of scenario.steps.entries()) {
        const hellosBefore = transport.sent.filter((m) => m.type === 'hello').length
        const reconnectsBefore = transport.stats.reconnects
        const frame = typeof step.server === 'string' ? step.server : JSON.stringify(step.server)
        transport.handlers().message(frame)
        const at = `step ${index}`
        expect(client.version ?? null, at).toBe(step.then.version)
        const helloSent = transport.sent.filter((m) => m.type === 'hello').length > hellosBefore
        const reconnected = transport.stats.reconnects > reconnectsBefore
        const action = reconnected ? 'reconnect' : helloSent ? 'hello' : 'none'
        expect(action, at).toBe(step.then.action)
        for (const answer of step.then.answers ?? []) {
          expect(client.explain(answer.flag, answer.user), `${at} ${answer.flag}`).toEqual({ enabled: answer.enabled, reason: answer.reason })
        }
      }
    })
  }
})
