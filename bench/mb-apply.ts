import { createFlagClient } from '../sdk/client/client.ts'
import { createRulesMode } from '../sdk/client/rules-mode.ts'
const flag = { key: 'f', enabled: true, salt: 'f', stickiness: 'userId', cohorts: [{ name: 'all', conditions: [], rollout: 100 }], version: 1 }
let handlers: any
const clients = Array.from({ length: 5000 }, () => {
  const c = createFlagClient({ mode: createRulesMode(), sdkName: 'x', logger: {}, connect: (h) => { handlers = h; return { send: () => true, close() {}, reconnect() {} } as any }, flushIntervalMs: 1e9 })
  const h = handlers
  h.open()
  h.message(JSON.stringify({ type: 'snapshot', environment: 'p', version: 1, flags: [flag], segments: [] }))
  c.on('change', () => c.isEnabled('f', { userId: 'u' }))
  return h
})
for (let round = 2; round < 15; round++) {
  const text = JSON.stringify({ type: 'changes', changes: [{ type: 'flag', version: round, flag: { ...flag, enabled: round % 2 === 0, version: round } }] })
  const t = performance.now()
  for (const h of clients) h.message(text)
  const t2 = performance.now()
  for (const h of clients) JSON.parse(text)
  const t3 = performance.now()
  console.log(round, 'sdk', ((t2 - t) * 1000 / 5000).toFixed(2), 'µs/client; parse only', ((t3 - t2) * 1000 / 5000).toFixed(2))
}
process.exit(0)
