import type { StateCache } from './state-cache.ts'

/**
 * A `localStorage` cache under one key. Storage can be missing or refuse writes (private
 * browsing, quota); the client reports that once and keeps working from memory.
 *
 * @example
 * createClient({ url, key, user, cache: localStorageCache('canary-flags') })
 */
export function localStorageCache(key: string): StateCache {
  return {
    load() {
      const text = globalThis.localStorage?.getItem(key)
      return text == null ? undefined : (JSON.parse(text) as unknown)
    },
    save(entry) {
      globalThis.localStorage?.setItem(key, JSON.stringify(entry))
    },
  }
}
