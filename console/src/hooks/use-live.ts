import { useRef } from 'hono/jsx/dom'
import type { LiveMessage } from '../api/live-message.ts'
import { useApp } from '../app-context.ts'
import { useCommitEffect } from './use-commit-effect.ts'

/** Calls `listener` (always the latest one) for every live message while mounted. */
export function useLive(listener: (message: LiveMessage) => void): void {
  const { live } = useApp()
  const latest = useRef(listener)
  latest.current = listener
  useCommitEffect(() => live.subscribe((m) => latest.current?.(m)), [live])
}
