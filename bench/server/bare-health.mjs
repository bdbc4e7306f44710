// The floor of bench/server: a bare node:http server answering every request with /health's
// exact bytes and headers (Content-Type and length as hono sends them). Prints its URL.
import { createServer } from 'node:http'

const body = JSON.stringify({ status: 'ok' })
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
})
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`))
