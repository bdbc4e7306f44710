/**
 * A metrics batch id: time plus about 100 random bits, unique enough that two SDKs never collide
 * (the server ingests an id once). `crypto.randomUUID` is not used because browsers only offer it
 * on secure origins.
 *
 * @example
 * batchId(Date.now(), Math.random) // 'm3k9x2a1-4fzq…'
 */
export function batchId(now: number, random: () => number): string {
  const part = () => Math.floor(random() * 2 ** 52).toString(36)
  return `${now.toString(36)}-${part()}${part()}`
}
