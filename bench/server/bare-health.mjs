// The floor of bench/server: a bare node:http server answering every request with /health's
// exact bytes and headers (Content-Type and length as hono sends them). Prints its URL.
// `--per-turn` writes the answers of one event-loop turn together, as the hot lane does
// (server/node-http/hot-lane.ts), to measure what that alone is worth on a trivial answer:
//   taskset -c 0 node bench/server/bare-health.mjs [--per-turn] &
//   taskset -c 1 wrk -t1 -c32 -d4s <printed URL>/health      (and the server's CPU time from /proc)
import { createServer } from 'node:http'

const body = JSON.stringify({ status: 'ok' })
const answer = (res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}
let due = []
const flush = () => {
  const batch = due
  due = []
  for (const res of batch) answer(res)
}
const server = createServer(
  process.argv.includes('--per-turn')
    ? (req, res) => {
        if (due.push(res) === 1) setImmediate(flush)
      }
    : (req, res) => answer(res),
)
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`))
