import type { FlagService } from './services/flag-service.ts'
import type { Store } from './store/store.ts'

const DEFAULT_ENVIRONMENTS = [
  { key: 'development', name: 'Development' },
  { key: 'production', name: 'Production' },
]

/**
 * First start on an empty database: the two default environments and a global admin key.
 * Returns the admin secret when one was created, so `main` can print it once.
 */
export function bootstrap(
  { store, service }: { store: Store; service: FlagService },
  options: { adminKey: string | undefined },
): { adminSecret: string | undefined } {
  if (store.flags.listEnvironments().length === 0)
    for (const env of DEFAULT_ENVIRONMENTS) service.createEnvironment(env, 'system')
  if (store.keys.count() > 0) return { adminSecret: undefined }
  const { secret } = store.keys.create(
    { name: 'bootstrap-admin', kind: 'admin', environment: null, secret: options.adminKey },
    'system',
  )
  return { adminSecret: secret }
}
