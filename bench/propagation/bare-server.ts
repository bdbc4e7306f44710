/**
 * The floor: a bare `ws` server that broadcasts the bytes it is given to every client, with no
 * auth, storage or protocol. `POST /broadcast` answers after the sends were queued, with the
 * milliseconds its send loop took.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'

const server = createServer((req, res) => {
  let body = ''
  req.on('data', (d) => (body += d))
  req.on('end', () => {
    const started = performance.now()
    for (const client of wss.clients) client.send(body)
    // The send loop's own time, to set beside our server's fan-out metric.
    res.end(String(performance.now() - started))
  })
})
const wss = new WebSocketServer({ server, perMessageDeflate: false })
server.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`)
})
