/**
 * Worker thread of the guard simulation (bench/guard/simulate.ts): runs the chunks of canaries
 * it is sent and posts back their outcomes. Bundled by esbuild before it runs, like the other
 * benchmark children, so no TypeScript loader sits in the timed loop.
 */
import { parentPort } from 'node:worker_threads'
import { runCanaries, tablesFor, type Scenario } from './sim-core.ts'

export interface SimTask {
  task: number
  scenario: Scenario
  from: number
  to: number
}

export interface SimTaskResult {
  task: number
  tripAt: Int32Array
  rule: Int8Array
}

const port = parentPort
if (port === null) throw new Error('sim-worker.ts runs as a worker thread of bench/guard/simulate.ts')
let cached: { id: string; tables: ReturnType<typeof tablesFor> } | null = null
port.on('message', (message: SimTask) => {
  if (cached?.id !== message.scenario.id) cached = { id: message.scenario.id, tables: tablesFor(message.scenario) }
  const { tripAt, rule } = runCanaries(message.scenario, message.from, message.to, cached.tables)
  const result: SimTaskResult = { task: message.task, tripAt, rule }
  port.postMessage(result, [tripAt.buffer as ArrayBuffer, rule.buffer as ArrayBuffer])
})
