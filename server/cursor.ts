/**
 * The opaque `cursor` of paged lists: the key the previous page ended with, base64url-encoded
 * behind a format tag. Opaque so clients pass it back as it came and the server may change
 * what a cursor holds (the tag says which form) without breaking a client that pages.
 *
 * @example
 * decodeCursor(encodeCursor('checkout-v2')) // 'checkout-v2'
 * decodeCursor('made-up') // undefined
 */

const TAG = 'k1:'
/** A flag key is at most 128 characters, so its cursor is at most this long. */
const MAX_LENGTH = 180
const BASE64URL = /^[A-Za-z0-9_-]+$/

export const encodeCursor = (key: string): string => Buffer.from(TAG + key, 'utf8').toString('base64url')

/** The key a cursor carries, or undefined when it is not one this server hands out. */
export function decodeCursor(cursor: string, isKey: (key: string) => boolean): string | undefined {
  if (cursor.length > MAX_LENGTH || !BASE64URL.test(cursor)) return undefined
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!text.startsWith(TAG)) return undefined
  const key = text.slice(TAG.length)
  return isKey(key) ? key : undefined
}
