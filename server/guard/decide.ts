import { rateRatioLowerBound, wilson } from './stats.ts'
import type { ArmTotals } from './window.ts'

/** Guard settings of one flag in one environment (validated by the API). */
export interface GuardSettings {
  /** Highest acceptable canary error rate, 0–1. */
  maxErrorRate: number
  /** Canary exposures needed in the window before the guard judges at all. */
  minExposures: number
  windowSeconds: number
  /** Trip when the canary's rate is this many times control's (with confidence). */
  maxRatioToControl?: number | undefined
  /** POSTed a JSON event on a trip. */
  webhookUrl?: string | undefined
}

export type GuardRule = 'max_error_rate' | 'max_ratio_to_control'

/** Everything the guard looked at, frozen into the audit log and the webhook on a trip. */
export interface GuardFigures extends ArmTotals {
  windowSeconds: number
  canaryRate: number
  controlRate: number | null
  /** One-sided 95% Wilson bounds of the canary's error rate. */
  canaryLower: number
  canaryUpper: number
  /** One-sided 95% lower bound of canary rate / control rate, when control has data. */
  ratioLower: number | null
}

export type GuardDecision =
  | { status: 'insufficient_data'; figures: GuardFigures }
  | { status: 'healthy'; figures: GuardFigures }
  | { status: 'trip'; rule: GuardRule; limit: number; figures: GuardFigures }

/**
 * Judges one window. Trips only on evidence: at least `minExposures` canary exposures, and
 * either the canary's error rate is above `maxErrorRate` with 95% confidence (its Wilson lower
 * bound is over the limit) or, with `maxRatioToControl`, canary/control is above the ratio with
 * 95% confidence (control also needs `minExposures`). A few unlucky requests prove nothing.
 */
export function decide(settings: GuardSettings, totals: ArmTotals): GuardDecision {
  const { canaryExposures: n, canaryErrors: x, controlExposures: m, controlErrors: y } = totals
  const bounds = wilson(x, n)
  const controlHasData = m >= settings.minExposures
  const figures: GuardFigures = {
    ...totals,
    windowSeconds: settings.windowSeconds,
    canaryRate: n > 0 ? x / n : 0,
    controlRate: m > 0 ? y / m : null,
    canaryLower: bounds.lower,
    canaryUpper: bounds.upper,
    ratioLower: m > 0 && n > 0 ? rateRatioLowerBound({ errors: x, exposures: n }, { errors: y, exposures: m }) : null,
  }
  if (n < settings.minExposures) return { status: 'insufficient_data', figures }
  if (bounds.lower > settings.maxErrorRate)
    return { status: 'trip', rule: 'max_error_rate', limit: settings.maxErrorRate, figures }
  const ratio = settings.maxRatioToControl
  if (ratio !== undefined && controlHasData && figures.ratioLower !== null && figures.ratioLower > ratio)
    return { status: 'trip', rule: 'max_ratio_to_control', limit: ratio, figures }
  return { status: 'healthy', figures }
}

/**
 * Whether a rollout plan may take its next step: enough canary data and a rate that is not
 * above the limit even on its face (stricter than "not tripped": a plan waits on doubt).
 */
export function healthyEnoughToWiden(settings: GuardSettings, decision: GuardDecision): boolean {
  return decision.status === 'healthy' && decision.figures.canaryRate <= settings.maxErrorRate
}
