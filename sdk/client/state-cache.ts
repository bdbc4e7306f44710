/**
 * Where the last known state survives a restart: a file in Node, `localStorage` in browsers, or
 * anything else with these two methods. The client writes after changes (debounced) and reads
 * once at start; entries are opaque JSON-serialisable values.
 */
export interface StateCache {
  /** The stored entry, or undefined when there is none. May throw on a corrupt store. */
  load(): unknown
  save(entry: unknown): void | Promise<void>
}
