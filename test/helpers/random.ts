/** A seeded PRNG (mulberry32) so simulated traffic is reproducible and each seed differs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** How many of `n` requests fail at `rate`, drawn one by one. */
export function failures(n: number, rate: number, random: () => number): number {
  let x = 0
  for (let i = 0; i < n; i++) if (random() < rate) x++
  return x
}
