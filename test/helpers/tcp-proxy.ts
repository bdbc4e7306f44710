import { createServer, connect, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

/**
 * A TCP forwarder standing in for a load balancer in front of replicas: every new connection
 * goes to the current target port; `retarget` sends the next ones elsewhere (as a balancer does
 * when a replica fails its health check). Existing connections are cut when their target dies.
 *
 * @example
 * const proxy = await startTcpProxy(replicaA.port)
 * createClient({ url: proxy.url, key })
 * proxy.retarget(replicaB.port)
 */
export async function startTcpProxy(targetPort: number) {
  let target = targetPort
  const open = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1')
    open.add(client).add(upstream)
    const cut = () => {
      client.destroy()
      upstream.destroy()
      open.delete(client)
      open.delete(upstream)
    }
    client.on('error', cut).on('close', cut)
    upstream.on('error', cut).on('close', cut)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    retarget(port: number) {
      target = port
    },
    async close() {
      for (const socket of open) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
