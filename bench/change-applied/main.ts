/**
 * Change → applied for one Node SDK, the figure the Go SDK's `BenchmarkE2EChangeApplied`
 * (sdk/go/propagation_test.go) measures for Go: from just before the admin `PATCH` is sent to
 * the SDK's `change` event for that flag, 200 changes on loopback, p50 and p99.
 *
 * Run (after npm run build): npx tsx bench/change-applied/main.ts [changes]
 */
import { createClient } from '../../sdk/index.ts'
import { adminApi, startServerProcess } from '../lib/server-process.ts'

const ADMIN = 'bench-change-applied-admin-key-0123'
const changes = Number(process.argv[2] ?? 200)

const server = await startServerProcess(ADMIN)
try {
  const api = adminApi(server.url, ADMIN)
  await api('POST', '/api/v1/flags', { key: 'latency' })
  const flag = '/api/v1/environments/production/flags/latency'
  await api('PATCH', flag, { enabled: true, cohorts: [{ name: 'everyone', conditions: [], rollout: 100 }] })
  const { secret } = await api('POST', '/api/v1/keys', { name: 'bench', kind: 'server', environment: 'production' })
  const sdk = createClient({ url: server.url, key: secret, logger: {} })
  await sdk.ready({ timeoutMs: 10_000 })
  while (sdk.status !== 'ready') await new Promise((resolve) => setTimeout(resolve, 10))
  const samples: number[] = []
  for (let i = 0; i < changes; i++) {
    const applied = new Promise<void>((resolve) => {
      const off = sdk.on('change', (keys) => keys.includes('latency') && (off(), resolve()))
    })
    const started = performance.now()
    await api('PATCH', flag, { enabled: i % 2 === 1 })
    await applied
    samples.push(performance.now() - started)
  }
  await sdk.close({ timeoutMs: 500 })
  samples.sort((a, b) => a - b)
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!.toFixed(1)
  console.log(`node SDK, change → applied over ${changes} changes: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`)
} finally {
  server.process.kill('SIGKILL')
}
