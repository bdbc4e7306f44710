import { changedFields } from '../domain/changed-fields.ts'
import { usesSegment } from '../domain/segment-use.ts'
import { archiveRefusal, clientSideRefusal, importRefusal, segmentWriteRefusal, type ProtectedUse } from '../domain/protected-writes.ts'
import type { SegmentInput, Store } from '../store/contract.ts'

/**
 * The checks protected environments make on writes that cannot be one flag's change request
 * (segments, `clientSide`, archiving, imports): read what the write would touch, ask
 * domain/protected-writes.ts, throw its 409 before anything is written. Run before the write,
 * as `requests.gate` is; a protection set between the check and the write is not seen by it
 * (the same as for a gated state write).
 *
 * @example
 * await protectedWrites.checkSegmentPut('production', 'staff')   // 409 while flags there use it
 */
export function createProtectedWrites({ store }: { store: Store }) {
  /** The protected environments where flag `key` is on now. */
  async function onInProtected(key: string): Promise<ProtectedUse[]> {
    const protectedEnvs = new Set((await store.flags.listEnvironments()).filter((e) => e.approvals > 0).map((e) => e.key))
    if (protectedEnvs.size === 0) return []
    const flag = await store.flags.getFlag(key)
    return flag.states.filter((s) => protectedEnvs.has(s.environment) && s.enabled).map((s) => ({ environment: s.environment, flags: [key] }))
  }

  return {
    /**
     * Changing a segment's rules (its user ids or conditions): 409 in a protected environment
     * while flags there use it. A change of its description alone changes no answer.
     */
    async checkSegmentPut(environment: string, input: Pick<SegmentInput, 'key' | 'userIds' | 'conditions'>): Promise<void> {
      if ((await store.flags.getEnvironment(environment)).approvals === 0) return
      const stored = await store.segments.get(environment, input.key)
      if (Object.keys(changedFields({ userIds: stored.userIds, conditions: stored.conditions }, { userIds: input.userIds, conditions: input.conditions })).length === 0)
        return
      const usedBy = (await store.flags.listStates(environment)).filter((s) => usesSegment(s.cohorts, input.key)).map((s) => s.key)
      const refusal = segmentWriteRefusal(input.key, environment, usedBy)
      if (refusal) throw refusal
    },

    /** A flag definition change: `clientSide: true` is 409 while the flag is on in a protected environment. */
    async checkDefinition(key: string, change: { clientSide?: boolean | undefined }): Promise<void> {
      if (change.clientSide !== true) return
      const refusal = clientSideRefusal(key, await onInProtected(key))
      if (refusal) throw refusal
    },

    /** Archiving: 409 while the flag is on in a protected environment. */
    async checkArchive(key: string): Promise<void> {
      const refusal = archiveRefusal(key, await onInProtected(key))
      if (refusal) throw refusal
    },

    /** An import (not a dry run) into a protected environment: 409. */
    async checkImport(environment: string): Promise<void> {
      const refusal = importRefusal(environment, (await store.flags.getEnvironment(environment)).approvals)
      if (refusal) throw refusal
    },
  }
}

export type ProtectedWrites = ReturnType<typeof createProtectedWrites>
