/** One keyset page as the paged lists answer it (`GET /api/v1/flags` and an environment's states). */
export interface PageAnswer<T> {
  items: T[]
  nextCursor: string | null
}

/**
 * Every item of a paged list: the first page, then each `nextCursor` until it is null. Keyset
 * pages, so flags created or archived meanwhile shift nothing: each flag that lives throughout
 * comes once. The console and the CLI read whole lists through this, whatever their size.
 *
 * @example
 * const flags = await allPages('/api/v1/flags', (path) => api('GET', path, shapes.flagList))
 */
export async function allPages<T>(path: string, get: (path: string) => Promise<PageAnswer<T>>): Promise<T[]> {
  const items: T[] = []
  const separator = path.includes('?') ? '&' : '?'
  let cursor: string | null = null
  do {
    const page: PageAnswer<T> = await get(cursor === null ? path : `${path}${separator}cursor=${encodeURIComponent(cursor)}`)
    for (const item of page.items) items.push(item)
    cursor = page.nextCursor
  } while (cursor !== null)
  return items
}
