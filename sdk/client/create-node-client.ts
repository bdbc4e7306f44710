import { createBackoff } from './backoff.ts'
import { createFlagClient } from './client.ts'
import { createConnection } from './connection.ts'
import { endpoints } from './endpoints.ts'
import { fileCache } from './file-cache.ts'
import { isClientKey } from './key-kind.ts'
import { openNodeSocket } from './node-socket.ts'
import { metricsPoster } from './post-metrics.ts'
import { createResultsMode } from './results-mode.ts'
import { createRulesMode } from './rules-mode.ts'
import type { ClientOptions, FlagClient } from './types.ts'

const SDK_NAME = 'canary-flags-node/0.1.0'

/**
 * Creates a client for a Node service. A server key (`cf_server_…`) receives the environment's
 * rules and evaluates locally, so `isEnabled` never waits on the network; a client key
 * (`cf_client_…`) receives the server's answers for `user`.
 *
 * @example
 * const flags = createClient({ url: 'http://localhost:4242', key: process.env.FLAGS_KEY!, cache: './flags.json' })
 * await flags.ready({ timeoutMs: 5000 })
 * if (flags.isEnabled('checkout-v2', { userId: 'u1', region: 'eu' })) newCheckout()
 * else oldCheckout()
 */
export function createClient(options: ClientOptions): FlagClient {
  const urls = endpoints(options.url)
  const { cache, key } = options
  return createFlagClient({
    mode: isClientKey(key) ? createResultsMode(options.user ?? {}) : createRulesMode(),
    connect: (handlers) =>
      createConnection({
        url: urls.stream,
        key,
        openSocket: openNodeSocket,
        backoff: createBackoff({ random: Math.random }),
        now: Date.now,
        pingIntervalMs: options.pingIntervalMs,
        handlers,
      }),
    sdkName: options.sdkName ?? SDK_NAME,
    user: options.user,
    bootstrap: options.bootstrap,
    cache: typeof cache === 'string' ? fileCache(cache) : cache,
    postMetrics: metricsPoster(urls.metrics, key),
    onError: options.onError,
    logger: options.logger,
    flushIntervalMs: options.flushIntervalMs,
  })
}
