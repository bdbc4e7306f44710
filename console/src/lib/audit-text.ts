/** Audit actions in words; unknown actions show as they are. */
const ACTIONS: Record<string, string> = {
  'flag.create': 'created the flag',
  'flag.state.create': 'added the flag to this environment',
  'flag.update': 'edited the description or tags',
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
}

export const actionText = (action: string) => ACTIONS[action] ?? action

/** `admin-key:bootstrap-admin` → `bootstrap-admin (admin key)`; `guard` stays `guard`. */
export function actorText(actor: string): string {
  const match = /^(\w+)-key:(.*)$/.exec(actor)
  return match ? `${match[2]} (${match[1]} key)` : actor
}
