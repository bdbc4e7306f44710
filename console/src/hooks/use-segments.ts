import * as shapes from '../../../api-shapes/index.ts'
import { useCallback, useState } from 'hono/jsx/dom'
import { seg } from '../api/http.ts'
import type { Segment } from '../api/types.ts'
import { useApp } from '../app-context.ts'
import { useCommitEffect } from './use-commit-effect.ts'
import { useLive } from './use-live.ts'

/** The segments of the current environment, kept current by the live socket. */
export function useSegments(): { segments: Segment[] | null; error: string | undefined } {
  const { api, env } = useApp()
  const [segments, setSegments] = useState<Segment[] | null>(null)
  const [error, setError] = useState<string | undefined>(undefined)
  const load = useCallback(() => {
    api('GET', `/api/v1/environments/${seg(env)}/segments`, shapes.segmentList).then(
      (r) => {
        setSegments(r.items)
        setError(undefined)
      },
      (e: Error) => setError(e.message),
    )
  }, [api, env])
  useCommitEffect(load, [load])
  useLive((m) => {
    if (
      m.type === 'resync' ||
      (m.type === 'console_change' &&
        (m.change.type === 'segment' || m.change.type === 'segment_deleted'))
    )
      load()
  })
  return { segments, error }
}
