import { assembleClient } from './assemble.ts'
import { isClientKey } from './key-kind.ts'
import { openBrowserSocket } from './browser-socket.ts'
import { localStorageCache } from './local-storage-cache.ts'
import { createResultsMode } from './results-mode.ts'
import type { ClientOptions, FlagClient } from './types.ts'

const SDK_NAME = 'canary-flags-browser/0.1.0'

/**
 * Creates a client for a browser app. Browsers only take client keys (`cf_client_…`): the server
 * evaluates for the identified user and pushes answers, so no rules, segments or other users'
 * ids ever reach the page, and no rules engine is shipped to it.
 *
 * @example
 * const flags = createClient({ url: 'https://flags.example.com', key: 'cf_client_…', user: { userId: 'u1' }, cache: 'flags' })
 * await flags.ready({ timeoutMs: 3000 })
 * flags.on('change', () => render())
 * render(flags.isEnabled('checkout-v2'))
 */
export function createClient(options: ClientOptions): FlagClient {
  // A server key in a page would hand every visitor the rules and user lists: refuse loudly.
  if (!isClientKey(options.key)) throw new TypeError('the browser SDK needs a client key (cf_client_…)')
  return assembleClient(options, {
    sdkName: SDK_NAME,
    mode: createResultsMode(options.user ?? {}),
    openSocket: openBrowserSocket,
    namedCache: localStorageCache,
  })
}
