/**
 * `GET /api/v1/flags` with the admin key. The endpoint may page (`?limit=&cursor=`, answering
 * `nextCursor` while more remain): then both the first page and the walk over every page are
 * timed, since a console shows the first and an export needs all.
 */
export interface ListTiming {
  /** The first (or only) response. */
  firstMs: number
  /** All pages (equal to firstMs when the answer is not paged). */
  walkMs: number
  pages: number
  items: number
}

export async function timeFlagList(url: string, key: string): Promise<ListTiming> {
  const headers = { authorization: `Bearer ${key}` }
  const started = performance.now()
  let firstMs = 0
  let pages = 0
  let items = 0
  let cursor: string | undefined
  do {
    const query = cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`
    const res = await fetch(`${url}/api/v1/flags${query}`, { headers })
    if (!res.ok) throw new Error(`GET /api/v1/flags${query}: ${res.status} ${await res.text()}`)
    const body = (await res.json()) as { items: unknown[]; nextCursor?: string | null }
    if (pages++ === 0) firstMs = performance.now() - started
    items += body.items.length
    cursor = body.nextCursor ?? undefined
  } while (cursor !== undefined)
  return { firstMs, walkMs: performance.now() - started, pages, items }
}
