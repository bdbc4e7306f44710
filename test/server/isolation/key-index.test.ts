import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createKeyIndex } from '../../../server/auth/key-index.ts'
import { ConfigError, readConfig } from '../../../server/config.ts'
import type { KeyEntry, Store } from '../../../server/store/contract.ts'
import { createSqliteStore } from '../../../server/store/sqlite-store.ts'

/**
 * The in-memory key index over a real SQLite file: known keys are checked without the store,
 * keys made behind its back are found, and revocations it did not hear are found by the
 * re-check, which closes their streams.
 */

let directory: string
let store: Store
/** Lookups that reached the store (the index answered all others from memory). */
let storeLookups: number
/** When set, `entries()` waits for this before answering (a re-check overtaken by a revocation). */
let entriesGate: Promise<void> | undefined

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'canary-key-index-'))
  store = createSqliteStore(join(directory, 'keys.db'))
  storeLookups = 0
  entriesGate = undefined
})
afterEach(async () => {
  await store.close()
  rmSync(directory, { recursive: true, force: true })
})

function indexOverStore() {
  return createKeyIndex({
    store: {
      verify: (secret) => {
        storeLookups++
        return store.keys.verify(secret)
      },
      entries: async (): Promise<KeyEntry[]> => {
        const read = await store.keys.entries()
        await entriesGate
        return read
      },
    },
    log: () => {},
  })
}

const newAdminKey = async (name: string) => store.keys.create({ name, kind: 'admin', environment: null }, 'test')

describe('key index', () => {
  it('answers a known key from memory and refuses unknown secrets through the store', async () => {
    const { key, secret } = await newAdminKey('ops')
    const keys = indexOverStore()
    await keys.recheck()
    expect(await keys.verify(secret)).toEqual(key)
    expect(await keys.verify(secret)).toEqual(key)
    expect(storeLookups).toBe(0)
    expect(await keys.verify(`${secret}x`)).toBeUndefined()
    expect(storeLookups).toBe(1)
    expect(keys.isLive(key.id)).toBe(true)
  })

  it('finds a key created behind its back (offline CLI, another replica) in the store once, then keeps it', async () => {
    const keys = indexOverStore()
    await keys.recheck()
    const { key, secret } = await newAdminKey('recovery')
    expect(await keys.verify(secret)).toEqual(key)
    expect(await keys.verify(secret)).toEqual(key)
    expect(storeLookups).toBe(1)
  })

  it('refuses a key marked revoked at once and closes its streams', async () => {
    const { key, secret } = await newAdminKey('leaked')
    const keys = indexOverStore()
    await keys.recheck()
    const closed: string[] = []
    keys.onRevoked((isRevoked) => closed.push(...[key.id, 'other-key'].filter(isRevoked)))
    keys.markRevoked(key.id)
    expect(closed).toEqual([key.id])
    expect(keys.isLive(key.id)).toBe(false)
    expect(await keys.verify(secret)).toBeUndefined()
  })

  it('a revocation it never heard of is found by the re-check, which closes the key\'s streams', async () => {
    const { key, secret } = await newAdminKey('leaked')
    const keys = indexOverStore()
    await keys.recheck()
    // Revoked in the database only: the notification was lost.
    await store.keys.revoke(key.id, 'test')
    const closed: string[] = []
    keys.onRevoked((isRevoked) => closed.push(...[key.id].filter(isRevoked)))
    await keys.recheck()
    expect(closed).toEqual([key.id])
    expect(await keys.verify(secret)).toBeUndefined()
  })

  it('a revoked key never comes back from a re-check that read the store before the revocation', async () => {
    const { key, secret } = await newAdminKey('leaked')
    const keys = indexOverStore()
    let open = () => {}
    entriesGate = new Promise<void>((resolve) => (open = resolve))
    const stale = keys.recheck() // reads the key as live, answers after the revocation below
    await new Promise((resolve) => setImmediate(resolve))
    keys.markRevoked(key.id)
    open()
    await stale
    expect(keys.isLive(key.id)).toBe(false)
    expect(await keys.verify(secret)).toBeUndefined()
  })
})

describe('CANARY_KEY_RECHECK_SECONDS', () => {
  it('takes whole seconds from 1 to 60 and refuses anything else, naming the variable', () => {
    expect(readConfig([], { CANARY_KEY_RECHECK_SECONDS: '10' }).keyRecheckMs).toBe(10_000)
    expect(readConfig([], {}).keyRecheckMs).toBeUndefined()
    for (const bad of ['0', '61', '1.5', 'soon'])
      expect(() => readConfig([], { CANARY_KEY_RECHECK_SECONDS: bad })).toThrow(
        new ConfigError(`CANARY_KEY_RECHECK_SECONDS: ${bad} is not a whole number of seconds from 1 to 60`),
      )
  })
})
