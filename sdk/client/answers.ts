import { genericReason } from '../core/generic-reason.ts'
import type { EvalResult, User } from '../core/types.ts'
import { countDuration, countError, countExposure, type Counters } from './counters.ts'
import type { Answerer, Mode } from './mode.ts'
import type { EvaluationDetails, FlagClient, Logger, ResolvedDetails } from './types.ts'

/** The answering half of a `FlagClient`: synchronous, in memory, never throwing. */
export type Answers = Pick<FlagClient, 'isEnabled' | 'explain' | 'resolve' | 'recordError' | 'recordDuration' | 'run'> & {
  /** Looks answers up again after the held state changed: all flags, or only `keys`. */
  refresh(keys?: Iterable<string>): void
}

export interface AnswersDeps {
  mode: Mode
  counters: Counters
  logger: Logger
  /** The current user, for calls that pass none. */
  user: () => User
  /** Whether any flag state is held (an unknown flag is `unknown_flag`, else `not_ready`). */
  hasState: () => boolean
  /** Called after each counted error, so the reporter can send early. */
  errorRecorded: () => void
  /** The clock `run` times its branch with (ms). */
  now: () => number
  /** Called when a key the held state does not have is asked for (it warns once per key). */
  unknownFlag: (flag: string) => void
}

/** Answers that come from no evaluation: the caller's default stands. */
const usesDefault = (result: EvalResult) =>
  result.reason === 'unknown_flag' || result.reason === 'error' || result.reason === 'ERROR'

interface Entry {
  answer: Answerer | undefined
  slot: number
}

/**
 * Answers flags from the held state and counts exposures and errors for the guard. Per flag it
 * keeps what answers it and its counter slot side by side, so `isEnabled` is one map lookup, one
 * evaluation and one increment; the table is refreshed whenever the held state changes.
 *
 * @example
 * const answers = createAnswers({ mode, counters, logger, user: () => user, hasState: () => true, errorRecorded })
 * answers.refresh()
 * answers.isEnabled('checkout-v2', { userId: 'u1' })
 */
export function createAnswers(deps: AnswersDeps): Answers {
  const { mode, counters, logger, user, hasState, now } = deps
  const { offsetOf } = mode.counting
  const entries = new Map<string, Entry>()

  /** The flag's entry with an answer, or undefined (not ready, or unknown flag: the default). */
  const answering = (flag: string) => {
    const entry = entries.get(flag)
    return entry?.answer === undefined ? undefined : (entry as { answer: Answerer; slot: number })
  }
  const unanswered = (flag: string): EvaluationDetails['reason'] => {
    if (!hasState()) return 'not_ready'
    deps.unknownFlag(flag)
    return 'unknown_flag'
  }
  /** An unknown key (once some state is held) is reported; the caller's default answers. */
  const unknown = (flag: string, defaultValue: boolean) => {
    unanswered(flag)
    return defaultValue
  }

  return {
    refresh(keys) {
      if (keys === undefined) for (const entry of entries.values()) entry.answer = undefined
      for (const key of keys ?? mode.keys()) {
        let entry = entries.get(key)
        if (entry === undefined) entries.set(key, (entry = { answer: undefined, slot: counters.slot(key) }))
        entry.answer = mode.answerer(key)
      }
    },

    isEnabled(flag, callUser, defaultValue = false) {
      try {
        const entry = entries.get(flag)
        if (entry === undefined) return unknown(flag, defaultValue)
        const answer = entry.answer
        if (answer === undefined) return unknown(flag, defaultValue)
        const result = answer.evaluate(callUser ?? user())
        countExposure(counters, entry.slot, offsetOf(result))
        return usesDefault(result) ? defaultValue : result.enabled
      } catch (error) {
        // Only a broken mode could get here; the contract is that isEnabled never throws.
        logger.debug?.('isEnabled failed', error)
        return defaultValue
      }
    },

    explain(flag, callUser, defaultValue = false): EvaluationDetails {
      try {
        const entry = answering(flag)
        if (entry === undefined) return { enabled: defaultValue, reason: unanswered(flag) }
        // Not counted: explain is for debugging, and debugging must not feed the guard.
        const result = entry.answer.evaluate(callUser ?? user())
        if (!usesDefault(result) || result.enabled === defaultValue) return result
        return { enabled: defaultValue, reason: result.reason }
      } catch (error) {
        logger.debug?.('explain failed', error)
        return { enabled: defaultValue, reason: 'error' }
      }
    },

    resolve(flag, callUser, defaultValue = false): ResolvedDetails {
      try {
        const entry = answering(flag)
        if (entry === undefined) return { enabled: defaultValue, reason: unanswered(flag), generic: undefined }
        const answer = entry.answer
        const result = answer.evaluate(callUser ?? user())
        countExposure(counters, entry.slot, offsetOf(result))
        // Rules mode knows which cohorts are partial (SPLIT); a results-mode reason is generic already.
        const generic = genericReason(answer.generic?.(result).reason ?? result.reason, { split: false })
        return { enabled: usesDefault(result) ? defaultValue : result.enabled, reason: result.reason, generic }
      } catch (error) {
        logger.debug?.('resolve failed', error)
        return { enabled: defaultValue, reason: 'error', generic: 'ERROR' }
      }
    },

    recordDuration(flag, callUser, ms) {
      try {
        // NaN and negative durations are a caller's bug: dropped rather than counted as fast.
        if (!(ms >= 0)) return
        const entry = answering(flag)
        if (entry === undefined) return
        countDuration(counters, entry.slot, offsetOf(entry.answer.evaluate(callUser ?? user())), ms)
      } catch (error) {
        logger.debug?.('recordDuration failed', error)
      }
    },

    async run(flag, callUser, branches) {
      // One evaluation decides the branch and the arm every count of this call goes to.
      let slot = -1
      let offset = -1
      let enabled = false
      try {
        const entry = answering(flag)
        if (entry !== undefined) {
          const result = entry.answer.evaluate(callUser ?? user())
          slot = entry.slot
          offset = offsetOf(result)
          countExposure(counters, slot, offset)
          enabled = !usesDefault(result) && result.enabled
        }
      } catch (error) {
        logger.debug?.('run failed', error)
      }
      const started = now()
      const settle = (failed: boolean) => {
        if (slot < 0) return
        countDuration(counters, slot, offset, Math.max(0, now() - started))
        if (failed) {
          countError(counters, slot, offset)
          deps.errorRecorded()
        }
      }
      try {
        const value = await (enabled ? branches.on : branches.off)()
        settle(false)
        return value
      } catch (error) {
        settle(true)
        throw error
      }
    },

    recordError(flag, callUser) {
      try {
        // Re-evaluated rather than remembered: the same user and state give the same arm, and
        // nothing has to be kept per user.
        const entry = answering(flag)
        if (entry === undefined) return void unanswered(flag)
        countError(counters, entry.slot, offsetOf(entry.answer.evaluate(callUser ?? user())))
        deps.errorRecorded()
      } catch (error) {
        logger.debug?.('recordError failed', error)
      }
    },
  }
}
