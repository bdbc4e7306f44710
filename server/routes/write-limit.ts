import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AuthEnv } from '../auth/api-key.ts'
import { TooManyRequestsError } from '../errors.ts'
import { createWindowLimiter } from '../rate-limit/window-limiter.ts'

/** Default writes per key per second through the admin API (`CANARY_WRITES_PER_KEY_PER_SECOND`). */
export const DEFAULT_WRITES_PER_KEY_PER_SECOND = 20

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/** POSTs that change nothing: evaluations, SDK counts (limited on their own), plan previews. */
const READS_BY_POST = [/\/evaluate$/, /^\/api\/v1\/metrics$/, /\/plan\/preview$/]
const STATE_PATH = /^\/api\/v1\/environments\/[^/]+\/flags\/[^/]+$/

/**
 * Turning a flag off is the emergency brake: never rate-limited, whoever pulls it and however
 * often. A PATCH of a flag's state whose body sets `enabled: false` (a malformed body is left to
 * the route, which refuses it).
 */
async function turnsOff(c: Context): Promise<boolean> {
  if (c.req.method !== 'PATCH' || !STATE_PATH.test(c.req.path)) return false
  try {
    const body = JSON.parse(await c.req.text()) as unknown
    return typeof body === 'object' && body !== null && (body as { enabled?: unknown }).enabled === false
  } catch {
    return false
  }
}

/**
 * Writes per environment-scoped API key (and per person who is not a global admin) per second (429 with Retry-After; nothing written): one
 * environment admin cannot grow the database or the change stream without bound. It delays a key, never locks it;
 * turning a flag off is exempt. Runs after authentication (it counts per key id).
 */
export function limitWrites(options: { perSecond: number; now: () => number }) {
  const limiter = createWindowLimiter({ limit: options.perSecond, windowMs: 1000, now: options.now })
  let sincePrune = 0
  return createMiddleware<AuthEnv>(async (c, next) => {
    const identity = c.get('identity') as AuthEnv['Variables']['identity'] | undefined
    // Global admin keys and global admin people own the server (they make and revoke every other
    // key and member): the limit is for the keys an environment's admins and tools hold, and
    // for people who are not global admins.
    const limited =
      identity === undefined ? undefined
      : identity.type === 'key' ? (identity.key.environment === null ? undefined : identity.key.id)
      : identity.person.admin ? undefined
      : `person:${identity.person.id}`
    if (limited === undefined || !WRITES.has(c.req.method)) return next()
    if (READS_BY_POST.some((p) => p.test(c.req.path)) || (await turnsOff(c))) return next()
    if (++sincePrune >= 1000) {
      sincePrune = 0
      limiter.prune()
    }
    const verdict = limiter.take(limited)
    if (!verdict.allowed)
      throw new TooManyRequestsError(
        `too many writes with this key or person: at most ${options.perSecond} a second (turning a flag off is never limited)`,
        Math.max(1, Math.ceil(verdict.retryAfterMs / 1000)),
      )
    return next()
  })
}
