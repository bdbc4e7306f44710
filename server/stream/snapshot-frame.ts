import { snapshotOf, type Ruleset } from '../../sdk/core/ruleset.ts'
import { encodeFrame, type Frame } from './frame.ts'

/** The last encoded snapshot of each ruleset (rulesets change in place: keyed by version too). */
const encoded = new WeakMap<Ruleset, { version: number; frame: Frame }>()

/**
 * A ruleset's `snapshot` frame, encoded (and compressed) once per version: at 10,000 flags the
 * encoding is a few MiB and tens of milliseconds of the event loop, which a storm of connecting
 * SDKs would otherwise pay once each.
 */
export function snapshotFrame(ruleset: Ruleset): Frame {
  const cached = encoded.get(ruleset)
  if (cached?.version === ruleset.version) return cached.frame
  const frame = encodeFrame({ type: 'snapshot', ...snapshotOf(ruleset) })
  encoded.set(ruleset, { version: ruleset.version, frame })
  return frame
}
