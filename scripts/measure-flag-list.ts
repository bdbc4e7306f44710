/**
 * Times `GET /api/v1/flags` with 10,000 flags (two environments each) on an in-memory SQLite
 * stack, three times. Run: npx tsx scripts/measure-flag-list.ts [flags]
 */
import { ADMIN_KEY, makeStack } from '../test/helpers/stack.ts'

const count = Number(process.argv[2] ?? 10_000)
const stack = await makeStack()
for (let i = 0; i < count; i++)
  await stack.store.flags.createFlag({ key: `flag-${i}`, description: '', tags: [], clientSide: false }, 'measure')
for (let run = 1; run <= 3; run++) {
  const started = performance.now()
  const response = await stack.app.request('/api/v1/flags', { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
  const { items } = (await response.json()) as { items: unknown[] }
  console.log(`run ${run}: GET /api/v1/flags, ${items.length} flags: ${Math.round(performance.now() - started)} ms`)
}
await stack.close()
