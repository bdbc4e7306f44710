/**
 * The admin key lives in `sessionStorage` only: it is gone when the tab closes, and signing
 * out removes it. Never `localStorage`, never a cookie.
 */
const KEY = 'canary-flags.admin-key'

export const session = {
  read: (): string | null => sessionStorage.getItem(KEY),
  write: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
}
