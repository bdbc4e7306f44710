/**
 * The audit log in plain words, shared by the console's history and `canary audit`: what an
 * action did, who did it, and a label for every field a change can touch.
 */

import { GUARD_RULE_KINDS } from './guard-rules.ts'

/** Audit actions in words; unknown actions show as they are. */
const ACTIONS: Record<string, string> = {
  'environment.create': 'created the environment',
  'environment.protect': 'protected the environment (changes need approval)',
  'environment.unprotect': 'lifted the environment\'s protection',
  'request.create': 'proposed a change (change request)',
  'request.approve': 'approved a change request',
  'request.reject': 'rejected a change request',
  'request.withdraw': 'withdrew a change request',
  'request.comment': 'commented on a change request',
  'request.schedule': 'scheduled a change request',
  'request.schedule_failed': 'could not apply a scheduled change request',
  'flag.create': 'created the flag',
  'flag.state.create': 'added the flag to this environment',
  'flag.update': 'edited the description or tags',
  'flag.client_side': 'changed whether browsers see the flag',
  'flag.state.update': 'changed the flag',
  'flag.archive': 'archived the flag',
  'flag.on': 'turned it on',
  'flag.off': 'turned it off',
  'flag.cohorts': 'changed cohorts',
  'flag.rollout': 'changed a rollout percentage',
  'flag.stickiness': 'changed the stickiness attribute',
  'guard.set': 'set the guard',
  'guard.remove': 'removed the guard',
  'guard.trip': 'tripped: switched the flag off',
  'plan.start': 'started a rollout plan',
  'plan.replace': 'replaced the rollout plan with a new one',
  'plan.hold': 'held the plan: no evidence the error rate is below the limit in time',
  'plan.step': 'took a plan step',
  'plan.pause': 'paused the plan',
  'plan.resume': 'resumed the plan',
  'plan.cancel': 'cancelled the plan',
  'segment.create': 'created the segment',
  'segment.update': 'changed the segment',
  'segment.delete': 'deleted the segment',
  'key.create': 'created a key',
  'key.revoke': 'revoked a key',
}

/**
 * An audit action in words; one this table does not know yet reads as its parts.
 *
 * @example
 * actionText('plan.step') // 'took a plan step'
 */
export const actionText = (action: string) => ACTIONS[action] ?? action.replace(/[._]/g, ' ')

/** Who made a change, as the history filters it: a person (any key), the guard, or a plan. */
export type ActorKind = 'person' | 'guard' | 'plan'
export const ACTOR_KINDS: readonly ActorKind[] = ['person', 'guard', 'plan']

/**
 * Which kind of actor made a change: the guard and rollout plans act by themselves; every key
 * (admin console, API script) is a person.
 *
 * @example
 * actorKind('rollout-plan') // 'plan'
 */
export function actorKind(actor: string): ActorKind {
  if (actor === 'guard') return 'guard'
  if (actor === 'rollout-plan') return 'plan'
  return 'person'
}

/**
 * Who made a change, in words.
 *
 * @example
 * actorText('admin-key:bootstrap-admin') // 'bootstrap-admin (admin key)'
 * actorText('guard') // 'the guard'
 */
export function actorText(actor: string): string {
  const match = /^(\w+)-key:(.*)$/.exec(actor)
  if (match) return `${match[2]} (${match[1]} key)`
  if (actor.startsWith('person:')) return actor.slice('person:'.length)
  if (actor === 'guard') return 'the guard'
  if (actorKind(actor) === 'plan') return 'the rollout plan'
  return actor
}

/** Labels of the fields a change can touch, by their last name in a path. */
const FIELDS: Record<string, string> = {
  enabled: 'On/off',
  cohorts: 'Cohorts',
  rollout: 'Rollout',
  stickiness: 'Stickiness attribute',
  salt: 'Bucketing salt',
  clientSide: 'Visible to browsers',
  description: 'Description',
  tags: 'Tags',
  guard: 'Guard',
  // Each rule kind's setting and name (the rule table).
  ...Object.fromEntries(
    Object.entries(GUARD_RULE_KINDS).flatMap(([rule, kind]) => [
      [kind.setting, kind.words.setting],
      [rule, kind.words.name],
    ]),
  ),
  minExposures: 'Minimum exposures',
  windowSeconds: 'Recent-figures window',
  evidence: 'Evidence counted',
  webhookUrl: 'Webhook',
  lastTrip: 'Last trip',
  plan: 'Rollout plan',
  cohort: 'Cohort',
  steps: 'Steps',
  skipped: 'Skipped steps',
  step: 'Current step',
  status: 'Status',
  intervalSeconds: 'Interval',
  maxWaitSeconds: 'Longest wait for evidence',
  nextAt: 'Next step at',
  note: 'Note',
  startedAt: 'Started at',
  userIds: 'User ids',
  conditions: 'Conditions',
  key: 'Key',
  name: 'Name',
}

/** What a rule name means, where it appears as a value. */
export const RULE_WORDS: Record<string, string> = Object.fromEntries(
  Object.entries(GUARD_RULE_KINDS).map(([rule, kind]) => [rule, kind.words.audit]),
)

/**
 * A field path in words: `plan.nextAt` → `Rollout plan · Next step at`, `guard.lastTrip` →
 * `Guard · Last trip`, `cohort eu · rollout` → `Cohort eu · Rollout`. Unknown names are split
 * at capitals and underscores rather than shown raw.
 *
 * @example
 * fieldLabel('plan.nextAt') // 'Rollout plan · Next step at'
 */
export function fieldLabel(path: string): string {
  const cohort = /^cohort (.+?)(?: · (.+))?$/.exec(path)
  if (cohort) return cohort[2] ? `Cohort ${cohort[1]} · ${wordOf(cohort[2])}` : `Cohort ${cohort[1]}`
  return path.split('.').map(wordOf).join(' · ')
}

function wordOf(name: string): string {
  const known = FIELDS[name]
  if (known) return known
  const words = name.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}
