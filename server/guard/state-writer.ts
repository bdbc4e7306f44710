import type { StateUpdate, StoredFlagState } from '../store/contract.ts'

/**
 * The write side the guard and rollout plans change flag states through: the flag service's
 * `applyState` (store transaction, then publish after commit) and `onState`. Declared here and
 * handed in by the composition root, so the guard does not import services/.
 */
export interface StateWriter {
  /** Applies `options.update` to the current state in one transaction, then publishes the change. */
  applyState(envKey: string, key: string, options: StateUpdate): Promise<StoredFlagState>
  /** Calls `listener` with each state committed through `applyState`; returns the unsubscribe. */
  onState(listener: (state: StoredFlagState) => void): () => void
}
