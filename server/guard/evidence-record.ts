import type { EvidenceStore, SharedEvidence } from '../store/contract.ts'
import { sharedEvidenceJson } from '../domain/evidence-json.ts'
import { storedJson } from '../domain/stored-json.ts'
import { FlagEvidence, type EvidenceSnapshot } from './decide.ts'
import { FineSeries, type FineSeriesJson } from './fine-series.ts'
import { watchKey, type Testing, type Watched, type WatchList } from './watch-list.ts'
import { SlidingWindow, type WindowBuckets } from './window.ts'

/**
 * One guarded flag's saved evidence, the same JSON on SQLite (one process resuming after a
 * restart) and PostgreSQL (replicas, and a new guard leader): the tests' state, the recent
 * window and the ten-second rows. Written here, read here, nowhere else.
 */
export interface EvidenceRecord {
  evidence: EvidenceSnapshot
  recent: WindowBuckets
  fine?: FineSeriesJson | undefined
}

/** The record of a flag whose tests run, as of `at`. */
export function recordOf(entry: Testing, at: number): EvidenceRecord {
  return { evidence: entry.evidence.snapshot(), recent: entry.recent.buckets(at), fine: entry.fine.toJSON() }
}

/** Every saved record, by watch key; a row that is not evidence rejects with a StoredDataError naming it. */
export async function loadRecords(store: EvidenceStore): Promise<Map<string, EvidenceRecord>> {
  const rows = await store.loadEvidence()
  return new Map(
    rows.map((row) => [
      watchKey(row.envKey, row.flagKey),
      storedJson(sharedEvidenceJson, row.evidence, `evidence of flag ${row.flagKey} in ${row.envKey}`) satisfies EvidenceRecord,
    ]),
  )
}

/**
 * Takes a saved record into an entry whose tests run under the same settings (a record of other
 * settings, or of a flag turned off and on since, is about other tests: false, nothing taken).
 */
export function resumeFrom(entry: Watched, record: EvidenceRecord | undefined, now: number): boolean {
  if (!entry.evidence || !record || record.evidence.settingsKey !== entry.evidence.settingsKey) return false
  entry.evidence = new FlagEvidence(entry.guard, now, record.evidence)
  entry.recent = SlidingWindow.from(record.recent)
  if (record.fine) entry.fine = FineSeries.from(record.fine)
  return true
}

/** The flags whose records changed since the last save: what to write and what to delete. */
export interface EvidenceChanges {
  save: SharedEvidence[]
  remove: Array<{ envKey: string; flagKey: string }>
}

/**
 * Which flags' records must be written (or deleted) at the next save: marked as their tests take
 * a second or their state changes, collected once per save. Both sinks use it: one process saves
 * once a second, the replicas' leader inside its tick's transaction.
 */
export function createEvidenceChanges(watch: WatchList) {
  const dirty = new Map<string, { envKey: string; flagKey: string }>()
  const mark = (env: string, flag: string) => dirty.set(watchKey(env, flag), { envKey: env, flagKey: flag })
  return {
    mark,
    /** Marks every watched flag (after a failed save, whose rows are unknown). */
    markAll(): void {
      for (const entry of watch.entries()) mark(entry.env, entry.flag)
    },
    /** Takes the marked flags: the records of those whose tests run, deletions for the others. */
    collect(at: number): EvidenceChanges {
      const changes: EvidenceChanges = { save: [], remove: [] }
      for (const target of dirty.values()) {
        const entry = watch.get(target.envKey, target.flagKey)
        if (entry?.evidence) changes.save.push({ ...target, evidence: recordOf(entry as Testing, at) })
        else changes.remove.push(target)
      }
      dirty.clear()
      return changes
    },
    /** Marks again what a failed save held. */
    restore(changes: EvidenceChanges): void {
      for (const t of [...changes.save, ...changes.remove]) mark(t.envKey, t.flagKey)
    },
  }
}
