import type { GuardService } from '../guard/guard-service.ts'
import type { Store } from '../store/contract.ts'
import type { MetricsSources } from './metrics.ts'

/**
 * What the scrape-time gauges read: connection counts from the stream, versions from the
 * store, and each guarded flag's state from the guard itself (one pass over the flags per
 * scrape; scrapes come every few seconds at most).
 */
export function metricsSources(deps: {
  store: Store
  guard: Pick<GuardService, 'status'>
  connections: MetricsSources['connections']
}): MetricsSources {
  const { store, guard } = deps
  return {
    connections: deps.connections,
    environmentVersions: async () =>
      (await store.flags.listEnvironments()).map((env) => ({ environment: env.key, version: env.version })),
    async guardStates() {
      const states = []
      for (const state of await store.flags.listGuarded()) {
        const { status } = guard.status(state)
        if (status !== 'no_guard') states.push({ environment: state.environment, flag: state.key, state: status })
      }
      return states
    },
  }
}
