import { afterAll, describe, expect, inject, it } from 'vitest'
import { startReplicas, type Replicas } from '../helpers/replicas.ts'

/** Replicas started all at once on an empty database: one migrates and bootstraps, all serve. */

let cluster: Replicas | undefined
afterAll(() => cluster?.close())

describe('replicas starting together', () => {
  it('bootstrap an empty database once: two environments, one admin key, every replica serving', { timeout: 60_000 }, async () => {
    cluster = await startReplicas(inject('postgresUrl'), 3, { together: true })
    for (const replica of cluster.replicas) {
      const envs = (await cluster.api(replica, 'GET', '/api/v1/environments')).json.items
      expect(envs.map((e: { key: string }) => e.key)).toEqual(['development', 'production'])
      const keys = (await cluster.api(replica, 'GET', '/api/v1/keys')).json.items
      expect(keys.filter((k: { kind: string }) => k.kind === 'admin')).toHaveLength(1)
    }
  })
})
