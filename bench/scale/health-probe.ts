/**
 * `/health` probe (a child process): one keep-alive connection, a request every ~5 ms (the
 * next one starts 5 ms after the previous one started, or at once when it took longer), until
 * the parent says `stop`. A request held behind a blocked event loop shows up as its latency:
 * what any other request, or any other socket's frame, would have waited.
 *
 * Args: <server url>
 */
import { Agent, get } from 'node:http'
import { loadedThenWait, reportAndExit } from './ipc.ts'

const [url] = process.argv.slice(2) as [string]
const INTERVAL_MS = 5
const agent = new Agent({ keepAlive: true, maxSockets: 1 })

function probe(): Promise<void> {
  return new Promise((resolve, reject) => {
    get(`${url}/health`, { agent }, (res) => {
      res.resume()
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`/health: ${res.statusCode}`))))
    }).on('error', reject)
  })
}

let running = true
process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') running = false
})
await loadedThenWait('go')
await probe() // opens the connection; its handshake is not a sample
const samples: number[] = []
while (running) {
  const started = performance.now()
  await probe()
  const took = performance.now() - started
  samples.push(took)
  if (took < INTERVAL_MS) await new Promise((r) => setTimeout(r, INTERVAL_MS - took))
}
reportAndExit({ samples })
