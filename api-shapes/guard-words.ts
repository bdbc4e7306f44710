import { GUARD_RULE_KINDS } from './guard-rules.ts'
import type { GuardRule } from './index.ts'

/*
 * The guard's figures in words, the same for the console and the CLI (pure, nothing of the
 * server: the console bundle imports it).
 */

/** `figures.progress` (0–1) as a whole percentage, never 100% before a real trip. */
export function progressPercent(progress: number, crossed = false): number {
  if (crossed) return 100
  const p = Number.isFinite(progress) ? Math.min(1, Math.max(0, progress)) : 0
  return Math.min(99, Math.round(p * 100))
}

/** A span of seconds in words: `45 s`, `12 min`, `3 h`, `2 d`. */
export function durationText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 120) return `${s} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 172_800) return `${Math.round(s / 3600)} h`
  return `${Math.round(s / 86_400)} d`
}

/** Why a trip happened, per rule kind (from the rule table). */
export const RULE_TEXT = Object.fromEntries(
  Object.entries(GUARD_RULE_KINDS).map(([rule, kind]) => [rule, kind.words.trip]),
) as Record<GuardRule, string>
