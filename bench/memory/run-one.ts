import { setTimeout as sleep } from 'node:timers/promises'
import { richFlags } from '../fixture/flags.ts'
import { BETA_IDS } from '../fixture/users.ts'
import { emitResult } from '../lib/child.ts'
import { SDKS, isSdkId } from '../sdks/index.ts'

/**
 * One memory sample, in a fresh process started with `--expose-gc`: `main.mjs <sdk> <count>`.
 * Loads `count` distinct rich flags, evaluates each once (so lazily built state exists), then
 * collects garbage and reads the heap and RSS. The flag definitions are built from JSON inside
 * the adapter and not kept here, so only what the SDK retains is counted.
 */

export interface MemorySample {
  ok: boolean
  summary: string
  heapUsed?: number
  rss?: number
}

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

async function collect(): Promise<void> {
  // Twice with a turn of the event loop between: finalizers and weak references settle.
  gc!()
  await sleep(20)
  gc!()
}

async function measure(id: string, count: number): Promise<MemorySample> {
  if (!isSdkId(id)) throw new Error(`unknown SDK ${id}`)
  const keys = richFlags(count).map((f) => f.key)
  const sdk = await SDKS[id].load(richFlags(count))
  const beta = sdk.toUser({ id: BETA_IDS[0]!, region: 'us-east' })
  let on = 0
  for (const key of keys) {
    if (await (sdk.sync ? sdk.isEnabled(key, beta) : sdk.isEnabled(key, beta))) on++
  }
  // Every flag must be loaded and working, or the figure would measure an empty SDK.
  if (on !== count) return { ok: false, summary: `${on}/${count} flags on for a beta user` }
  await collect()
  const { heapUsed, rss } = process.memoryUsage()
  return { ok: true, summary: `${count} flags verified`, heapUsed, rss }
}

const [id = '', count = '1'] = process.argv.slice(2)
emitResult(await measure(id, Number(count)))
process.exit(0)
