import { useLayoutEffect } from 'hono/jsx/dom'

/**
 * Runs an effect right after the DOM is updated. `hono/jsx/dom` runs `useEffect` callbacks in
 * `requestAnimationFrame`, which a background tab (or a busy headless browser) may hold back
 * for as long as it likes; loading data and subscribing to the live socket must not wait for
 * a frame to be painted.
 */
export const useCommitEffect = useLayoutEffect
