/**
 * The floor: a bare `ws` server that broadcasts the bytes it is given to every client, with no
 * auth, storage or protocol. `POST /broadcast` answers after the sends were queued, like the
 * admin API answers after the change was published.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'

const server = createServer((req, res) => {
  let body = ''
  req.on('data', (d) => (body += d))
  req.on('end', () => {
    for (const client of wss.clients) client.send(body)
    res.end('ok')
  })
})
const wss = new WebSocketServer({ server, perMessageDeflate: false })
server.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`)
})
