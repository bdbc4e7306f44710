import type { ClusterStore } from '../store/contract.ts'

/**
 * `GET /api/v1/connections` across replicas: each replica writes its live connection list with
 * its id and a heartbeat every `intervalMs`; the list merges this replica's live connections with
 * the other replicas' lists heard from within `staleMs` (a killed replica's rows drop out).
 * Each item carries the `replica` that holds it.
 */
export function startConnectionRegistry(options: {
  cluster: ClusterStore
  replicaId: string
  /** This replica's live connections (the stream's list). */
  local: () => Array<Record<string, unknown>>
  log: (message: string, error?: unknown) => void
  now?: () => number
  intervalMs?: number
  staleMs?: number
}) {
  const { cluster, replicaId, log } = options
  const now = options.now ?? Date.now
  const intervalMs = options.intervalMs ?? 3000
  const staleMs = options.staleMs ?? Math.max(10_000, intervalMs * 3)
  const tag = (replica: string, items: unknown[]) =>
    items.map((item) => ({ ...(item as Record<string, unknown>), replica }))

  let writing: Promise<void> | undefined
  const write = () => {
    writing ??= cluster
      .publishConnections(replicaId, options.local(), now())
      .catch((error: unknown) => log('replication: writing this replica’s connection list failed; retrying', error))
      .finally(() => (writing = undefined))
  }
  write()
  const timer = setInterval(write, intervalMs)
  timer.unref()

  return {
    /** Every replica's connections: this one's live, the others' as of their last heartbeat. */
    async list(): Promise<Array<Record<string, unknown>>> {
      const others = (await cluster.connections(now() - staleMs)).filter((row) => row.replicaId !== replicaId)
      return [...tag(replicaId, options.local()), ...others.flatMap((row) => tag(row.replicaId, row.connections))]
    },
    async close(): Promise<void> {
      clearInterval(timer)
      await writing
      await cluster.forgetReplica(replicaId).catch((error: unknown) => log('replication: removing this replica’s connection list failed', error))
    },
  }
}

export type ConnectionRegistry = ReturnType<typeof startConnectionRegistry>
