import { createSqliteStore } from '../store/sqlite-store.ts'
import type { KeyKind } from '../store/contract.ts'
import { openExistingDb } from './database-file.ts'
import { CliError } from './errors.ts'
import { printJson, type Io } from './io.ts'

const KEY_KINDS: readonly KeyKind[] = ['admin', 'server', 'client']

/**
 * `canary keys create --db PATH …`: writes a key straight into the database file, no server
 * or key needed, so a lost admin key can be recovered by whoever can read the file. A running
 * server sees the key at once (a secret its in-memory key index does not know is looked up in the
 * database, auth/key-index.ts). The
 * audit log records the actor `cli:offline`.
 */
export async function createKeyOffline(
  values: { db?: string; name?: string; kind?: string; env?: string; json?: boolean },
  io: Io,
): Promise<void> {
  const kind = values.kind ?? 'admin'
  if (!(KEY_KINDS as readonly string[]).includes(kind))
    throw new CliError(`--kind: ${kind} is not one of ${KEY_KINDS.join(', ')}`)
  if (kind !== 'admin' && values.env === undefined) throw new CliError(`--env is required for a ${kind} key`)
  const database = openExistingDb(values.db!)
  try {
    const store = createSqliteStore(database.db)
    if (values.env !== undefined && !(await store.flags.listEnvironments()).some((e) => e.key === values.env))
      throw new CliError(`environment ${values.env} not found in ${values.db}`)
    const { key, secret } = await store.keys.create(
      { name: values.name ?? `${kind}-recovery`, kind: kind as KeyKind, environment: values.env ?? null },
      'cli:offline',
    )
    if (values.json) return printJson(io, { ...key, secret })
    const scope = key.environment === null ? 'all environments' : `environment ${key.environment}`
    io.out(`created ${key.kind} key ${key.name} (id ${key.id}) for ${scope} in ${values.db}`)
    io.out(`secret: ${secret}`)
    io.out('the secret is shown this once: store it now, it cannot be read back')
  } finally {
    database.close()
  }
}
