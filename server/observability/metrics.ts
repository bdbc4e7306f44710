import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/** Live figures read when Prometheus scrapes, instead of being counted up and down. */
export interface MetricsSources {
  /** Open SDK and console connections, by key kind and environment. */
  connections(): Iterable<{ kind: string; environment: string; count: number }>
  /** Each environment's current version (bumped by every change). */
  environmentVersions(): Promise<Iterable<{ environment: string; version: number }>>
  /** The guard's current state of every flag that has a guard (e.g. `healthy`, `tripped`). */
  guardStates(): Promise<Iterable<{ environment: string; flag: string; state: string }>>
}

/**
 * The server's Prometheus metrics, in a registry of its own (none is made at import time, so
 * tests and several servers in one process do not share counters). `main.ts` creates one and
 * passes it down; code that counts something calls a named method, never prom-client directly.
 *
 * @example
 * const metrics = createMetrics()
 * metrics.changeAccepted('production', 'api')
 * const text = await metrics.render() // Prometheus text format 0.0.4
 */
export function createMetrics(options: { prefix?: string; processMetrics?: boolean } = {}) {
  const prefix = options.prefix ?? 'canary_'
  const registry = new Registry()
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix })
  let sources: MetricsSources | undefined
  const registers = [registry]

  new Gauge({
    name: `${prefix}connected_sdks`,
    help: 'Open stream connections, by key kind (server, client, admin = console) and environment',
    labelNames: ['kind', 'environment'] as const,
    registers,
    collect() {
      this.reset()
      for (const c of sources?.connections() ?? []) this.set({ kind: c.kind, environment: c.environment }, c.count)
    },
  })
  new Gauge({
    name: `${prefix}environment_version`,
    help: "Each environment's current version (every committed change bumps it)",
    labelNames: ['environment'] as const,
    registers,
    async collect() {
      this.reset()
      for (const v of (await sources?.environmentVersions()) ?? []) this.set({ environment: v.environment }, v.version)
    },
  })
  const fanOut = new Histogram({
    name: `${prefix}change_fanout_seconds`,
    help: 'Time to hand one committed change to every connected SDK of its environment',
    labelNames: ['environment'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers,
  })
  const changes = new Counter({
    name: `${prefix}changes_accepted_total`,
    help: 'Committed changes, by environment and actor kind (api, guard, plan, system)',
    labelNames: ['environment', 'actor'] as const,
    registers,
  })
  const refused = new Counter({
    name: `${prefix}changes_refused_total`,
    help: 'Admin API writes refused (validation, conflict, auth), by HTTP status',
    labelNames: ['status'] as const,
    registers,
  })
  const batches = new Counter({
    name: `${prefix}metric_batches_accepted_total`,
    help: 'SDK count batches accepted by the guard, by environment',
    labelNames: ['environment'] as const,
    registers,
  })
  const batchesRefused = new Counter({
    name: `${prefix}metric_batches_refused_total`,
    help: 'SDK count batches refused, by environment and reason',
    labelNames: ['environment', 'reason'] as const,
    registers,
  })
  const trips = new Counter({
    name: `${prefix}guard_trips_total`,
    help: 'Times the guard switched a flag off, by environment and flag',
    labelNames: ['environment', 'flag'] as const,
    registers,
  })
  new Gauge({
    name: `${prefix}guard_state`,
    help: 'Guard state per guarded flag: 1 on the series of its current state (insufficient_data, healthy, trip, tripped, off)',
    labelNames: ['environment', 'flag', 'state'] as const,
    registers,
    async collect() {
      // Read at scrape time from the guard itself: a state can never be left stale here.
      this.reset()
      for (const g of (await sources?.guardStates()) ?? [])
        this.set({ environment: g.environment, flag: g.flag, state: g.state }, 1)
    },
  })
  const http = new Histogram({
    name: `${prefix}http_request_duration_seconds`,
    help: 'HTTP request duration, by method, matched route (a pattern, never a raw path) and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  })

  return {
    /** Where the scrape-time gauges read from (the stream and the store exist after this). */
    setSources(next: MetricsSources) {
      sources = next
    },
    fanOut(environment: string, seconds: number) {
      fanOut.observe({ environment }, seconds)
    },
    changeAccepted(environment: string, actor: string) {
      changes.inc({ environment, actor: actorKind(actor) })
    },
    changeRefused(status: number) {
      refused.inc({ status: String(status) })
    },
    batchAccepted(environment: string) {
      batches.inc({ environment })
    },
    batchRefused(environment: string, reason: string) {
      batchesRefused.inc({ environment, reason })
    },
    guardTripped(environment: string, flag: string) {
      trips.inc({ environment, flag })
    },
    httpRequest(method: string, route: string, status: number, seconds: number) {
      http.observe({ method, route, status: String(status) }, seconds)
    },
    contentType: registry.contentType,
    render: () => registry.metrics(),
  }
}

export type Metrics = ReturnType<typeof createMetrics>

/**
 * Audit actors are people's key names too: label by kind only, so the series count stays
 * bounded whoever makes changes (the log line carries the full actor).
 */
export function actorKind(actor: string): string {
  if (actor === 'guard' || actor === 'system' || actor.startsWith('plan')) return actor.split(':')[0]!
  return 'api'
}
