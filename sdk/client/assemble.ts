import { createBackoff } from '../core/backoff.ts'
import { createFlagClient } from './client.ts'
import { createConnection } from './connection.ts'
import { endpoints } from './endpoints.ts'
import type { Mode } from './mode.ts'
import { metricsPoster } from './post-metrics.ts'
import type { StateCache } from './state-cache.ts'
import type { OpenSocket } from './transport.ts'
import type { ClientOptions, FlagClient } from './types.ts'

/** What differs between the Node and the browser build; everything else is shared. */
export interface Platform {
  sdkName: string
  mode: Mode
  openSocket: OpenSocket
  /** Turns the `cache` option's string form into a store (a file in Node, localStorage in browsers). */
  namedCache: (name: string) => StateCache
}

/** Wires a client from its options and the platform's pieces (the one place real I/O is chosen). */
export function assembleClient(options: ClientOptions, platform: Platform): FlagClient {
  const urls = endpoints(options.url)
  // The closures below read these, not `options`, which would keep `options.bootstrap` alive.
  const { cache, key, pingIntervalMs } = options
  return createFlagClient({
    mode: platform.mode,
    connect: (handlers) =>
      createConnection({
        url: urls.stream,
        key,
        openSocket: platform.openSocket,
        backoff: createBackoff({ random: Math.random }),
        now: Date.now,
        pingIntervalMs,
        handlers,
      }),
    sdkName: options.sdkName ?? platform.sdkName,
    user: options.user,
    bootstrap: options.bootstrap,
    cache: typeof cache === 'string' ? platform.namedCache(cache) : cache,
    postMetrics: metricsPoster(urls.metrics, key),
    onError: options.onError,
    logger: options.logger,
    flushIntervalMs: options.flushIntervalMs,
  })
}
