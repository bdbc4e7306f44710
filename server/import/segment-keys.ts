/**
 * Segment keys here are lowercase slugs (`server/validation.ts` envKey); source segments have
 * free-form names. The key is the name's slug, made unique with the source id when two names
 * slug alike.
 */

const SEGMENT_KEY = /^[a-z0-9][a-z0-9._-]{0,63}$/

/**
 * @example
 * uniqueKey('Beta Testers (EU)', 7, new Set()) // 'beta-testers-eu'
 */
export function uniqueKey(name: string, id: number | string, taken: Set<string>): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '')
    .slice(0, 48)
  const suffix = String(id).toLowerCase().replace(/[^a-z0-9]+/g, '-')
  let key = SEGMENT_KEY.test(slug) && !taken.has(slug) ? slug : `${slug || 'segment'}-${suffix}`.slice(0, 64)
  for (let n = 2; taken.has(key) || !SEGMENT_KEY.test(key); n++) key = `segment-${suffix}-${n}`.slice(0, 64)
  taken.add(key)
  return key
}
