import type { Change } from '../../sdk/core/changes.ts'
import type { Logger } from 'pino'
import type { Hub } from '../live/hub.ts'
import type { Store } from '../store/contract.ts'
import type { Metrics } from './metrics.ts'

/** The flag or segment a change is about. */
const subjectOf = (change: Change) =>
  change.type === 'flag' ? { flag: change.flag.key } :
  change.type === 'flag_deleted' ? { flag: change.key } :
  change.type === 'segment' ? { segment: change.segment.key } : { segment: change.key }

/**
 * Every committed change: one log line with its actor (read from the audit row written in the
 * same transaction) and the change counters; a change by the guard is a trip. Listens on the
 * hub, so it sees exactly what SDKs are sent. Returns the unsubscribe function.
 */
export function observeChanges(deps: {
  hub: Hub
  logs: Pick<Store['logs'], 'auditOf'>
  logger: Logger
  metrics: Metrics
  /**
   * Replicas: the changes this replica committed. Every replica logs every change (its SDKs were
   * sent it), but only the committing one counts it, so counters summed over the replicas count
   * each change and each trip once. Absent: every change heard on the hub is counted here.
   */
  localCommits?: ((listener: (environment: string, change: Change) => void) => () => void) | undefined
}): () => void {
  const counting = deps.localCommits
  const stopLogging = deps.hub.subscribeAll((environment, change) => void observe(environment, change, { count: !counting }))
  const stopCounting = counting?.((environment, change) => void observe(environment, change, { count: true, log: false }))
  return () => {
    stopLogging()
    stopCounting?.()
  }

  async function observe(environment: string, change: Change, what: { count: boolean; log?: boolean }): Promise<void> {
    const audit = await deps.logs.auditOf(environment, change.version).catch(() => undefined)
    const actor = audit?.actor ?? 'unknown'
    const subject = subjectOf(change)
    if (what.count) {
      deps.metrics.changeAccepted(environment, actor)
      if (actor === 'guard' && change.type === 'flag' && !change.flag.enabled)
        deps.metrics.guardTripped(environment, change.flag.key)
    }
    if (what.log === false) return
    deps.logger.info(
      { environment, version: change.version, type: change.type, ...subject, actor, action: audit?.action },
      'change',
    )
  }
}
