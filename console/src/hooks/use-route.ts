import { useState } from 'hono/jsx/dom'
import { parseRoute } from '../lib/route.ts'
import { useCommitEffect } from './use-commit-effect.ts'

/** The route in the URL hash, following back/forward and links. */
export function useRoute() {
  const [hash, setHash] = useState(location.hash)
  useCommitEffect(() => {
    const onChange = () => setHash(location.hash)
    addEventListener('hashchange', onChange)
    return () => removeEventListener('hashchange', onChange)
  }, [])
  return parseRoute(hash)
}
