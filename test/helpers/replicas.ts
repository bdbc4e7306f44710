import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { call, startServerProcess, type ServerProcess } from '../cli/server-process.ts'
import { createTestDatabase, type TestDatabase } from './postgres.ts'

export const REPLICA_ADMIN_KEY = 'test-replicas-admin-key-0123456789ab'

export interface Replicas {
  database: TestDatabase
  /** The running replicas (a killed one stays in the list; check `alive`). */
  replicas: ServerProcess[]
  /** Starts one more replica on the database. */
  add(): Promise<ServerProcess>
  /** JSON call with the admin key to a replica. */
  api(replica: ServerProcess, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>
  /** `kill -9`: no drain, no unlock, sockets cut. Resolves once it exited. */
  kill(replica: ServerProcess): Promise<void>
  /** Stops every live replica (SIGTERM) and drops the database. */
  close(): Promise<void>
}

/**
 * `count` real `canary serve` processes (the built `dist/`) on one fresh PostgreSQL database, as
 * production runs replicas: the first starts alone (it migrates and bootstraps), the others
 * together — or all at once with `together`.
 *
 * @example
 * const cluster = await startReplicas(inject('postgresUrl'), 3)
 * await cluster.api(cluster.replicas[0]!, 'POST', '/api/v1/flags', { key: 'checkout-v2' })
 */
export async function startReplicas(
  adminUrl: string,
  count: number,
  options: { together?: boolean } = {},
): Promise<Replicas> {
  const database = await createTestDatabase(adminUrl)
  const directory = mkdtempSync(join(tmpdir(), 'canary-replicas-'))
  const env = { DATABASE_URL: database.url, CANARY_ADMIN_KEY: REPLICA_ADMIN_KEY, LOG_LEVEL: 'info' }
  const start = () => startServerProcess(join(directory, 'unused.db'), { env })
  const replicas: ServerProcess[] = options.together
    ? await Promise.all(Array.from({ length: count }, start))
    : [await start()]
  if (!options.together) replicas.push(...(await Promise.all(Array.from({ length: count - 1 }, start))))
  const dead = new Set<ServerProcess>()
  return {
    database,
    replicas,
    async add() {
      const replica = await start()
      replicas.push(replica)
      return replica
    },
    api: (replica, method, path, body) => call(replica.url, REPLICA_ADMIN_KEY, method, path, body),
    async kill(replica) {
      dead.add(replica)
      replica.child.kill('SIGKILL')
      await replica.exited
    },
    async close() {
      const live = replicas.filter((r) => !dead.has(r) && r.child.exitCode === null && r.child.signalCode === null)
      for (const r of live) r.child.kill('SIGTERM')
      await Promise.all(live.map((r) => r.exited))
      await database.drop()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
