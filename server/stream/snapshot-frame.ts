import { snapshotOf, type Ruleset } from '../../sdk/core/ruleset.ts'
import type { Change } from '../../sdk/core/changes.ts'
import { changesFor, snapshotFor, trackSent, unavailableKeys, viewKey, type Modes } from '../domain/bucketing-view.ts'
import type { Connection } from './connection.ts'
import { encodeFrame, type Frame } from './frame.ts'
import type { Missed } from './missed-changes.ts'
import type { Send } from './send.ts'

/** A ruleset's snapshot as SDKs that announced the same bucketing modes receive it. */
export interface SnapshotView {
  frame: Frame
  /** Flags sent in their unavailable form (bucketing-view.ts). */
  unavailable: readonly string[]
}

/** The last encoded snapshots of each ruleset, per view (rulesets change in place: keyed by version too). */
const encoded = new WeakMap<Ruleset, { version: number; views: Map<string, SnapshotView> }>()

/**
 * A ruleset's `snapshot` frame for SDKs that announced `modes`, encoded (and compressed) once per
 * version and view: at 10,000 flags the encoding is a few MiB and tens of milliseconds of the
 * event loop, which a storm of connecting SDKs would otherwise pay once each. When no flag needs
 * a mode an SDK lacks, every view shares one frame.
 */
export function snapshotView(ruleset: Ruleset, modes: Modes): SnapshotView {
  let cached = encoded.get(ruleset)
  if (cached?.version !== ruleset.version) encoded.set(ruleset, (cached = { version: ruleset.version, views: new Map() }))
  const name = viewKey(modes)
  let view = cached.views.get(name)
  if (view === undefined) {
    const snapshot = snapshotOf(ruleset)
    const unavailable = unavailableKeys(snapshot.flags, modes)
    // Nothing differs for this view: share (or become) the view of an SDK that knows every mode.
    const full = unavailable.length === 0 ? [...cached.views.values()].find((v) => v.unavailable.length === 0) : undefined
    view = full ?? { frame: encodeFrame({ type: 'snapshot', ...snapshotFor(snapshot, modes) }), unavailable }
    cached.views.set(name, view)
  }
  return view
}

/** Sends a server-key SDK the snapshot of its view and records which flags it holds unavailable. */
export function sendSnapshot(send: Send, conn: Connection, ruleset: Ruleset): void {
  const view = snapshotView(ruleset, conn.bucketing)
  conn.unavailable = new Set(view.unavailable)
  send(conn, view.frame)
}

/** Sends a server-key SDK changes as its view has them and records which flags it holds unavailable. */
export function sendChanges(send: Send, conn: Connection, changes: Change[]): void {
  trackSent(conn.unavailable, { changes }, conn.bucketing)
  send(conn, { type: 'changes', changes: changesFor(changes, conn.bucketing) })
}

/** Sends a server-key SDK the changes it missed (one frame shared per view) and records which flags it holds unavailable. */
export function sendMissed(send: Send, conn: Connection, missed: Missed): void {
  trackSent(conn.unavailable, { changes: missed.changes }, conn.bucketing)
  send(conn, missed.frame)
}
