import { assembleClient } from './assemble.ts'
import { fileCache } from './file-cache.ts'
import { isClientKey } from './key-kind.ts'
import { openNodeSocket } from './node-socket.ts'
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
  return assembleClient(options, {
    sdkName: SDK_NAME,
    mode: isClientKey(options.key) ? createResultsMode(options.user ?? {}) : createRulesMode(options.logger),
    openSocket: openNodeSocket,
    namedCache: fileCache,
  })
}
