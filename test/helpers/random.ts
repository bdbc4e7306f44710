/** A seeded PRNG (mulberry32) so simulated traffic is reproducible and each seed differs. */
export { seededRandom } from '../../sdk/fixtures/prng.ts'

/** How many of `n` requests fail at `rate`, drawn one by one. */
export function failures(n: number, rate: number, random: () => number): number {
  let x = 0
  for (let i = 0; i < n; i++) if (random() < rate) x++
  return x
}
