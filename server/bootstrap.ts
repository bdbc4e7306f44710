import type { FlagService } from './services/flag-service.ts'
import type { Store } from './store/contract.ts'

const DEFAULT_ENVIRONMENTS = [
  { key: 'development', name: 'Development' },
  { key: 'production', name: 'Production' },
]

/**
 * First start on an empty database: the two default environments and a global admin key.
 * Returns the admin secret when one was created, so `main` can print it once, and a warning
 * when `CANARY_ADMIN_KEY` names a key this (existing) database does not hold: it is only used
 * on first start, and silently ignoring it leaves an operator locked out without knowing why.
 */
export async function bootstrap(
  { store, service }: { store: Store; service: FlagService },
  options: { adminKey: string | undefined },
): Promise<{ adminSecret: string | undefined; warning?: string }> {
  if ((await store.flags.listEnvironments()).length === 0)
    for (const env of DEFAULT_ENVIRONMENTS) await service.createEnvironment(env, 'system')
  if ((await store.keys.count()) > 0) {
    const unknown = options.adminKey !== undefined && (await store.keys.verify(options.adminKey))?.kind !== 'admin'
    if (!unknown) return { adminSecret: undefined }
    return {
      adminSecret: undefined,
      warning:
        'CANARY_ADMIN_KEY is set but this database already has keys and does not hold it as an active admin key: ' +
        'it is only used on first start and is ignored now. To recover admin access: canary keys create --kind admin --db <database file>',
    }
  }
  const { secret } = await store.keys.create(
    { name: 'bootstrap-admin', kind: 'admin', environment: null, secret: options.adminKey },
    'system',
  )
  return { adminSecret: secret }
}
