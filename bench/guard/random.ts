/**
 * Seeded randomness for the guard simulation: a PRNG and an exact, fast Poisson sampler.
 *
 * - `Rng`: xoshiro128** (32-bit state words, so it stays in V8's integer fast paths), seeded
 *   through splitmix32; `next()` is a uniform double in [0, 1) with 53 random bits, so the
 *   sampler's far tails are not cut off at 2⁻³².
 * - `PoissonTable`: inversion of the Poisson CDF through a guide table (Chen & Asau), built once
 *   per mean. The simulated rates are constant within a phase, so the table is reused for
 *   millions of draws: one uniform and on average under two comparisons per draw, whatever the
 *   mean (no normal approximation). The table covers mean ± (12 sd + 10); the probability left
 *   outside is below 10⁻³⁰, far under the uniform's resolution of 2⁻⁵³.
 *
 * Binomial errors come for free: if exposures N ~ Poisson(λ) and errors X | N ~ Binomial(N, p),
 * then X ~ Poisson(λp) and N − X ~ Poisson(λ(1 − p)), independent (Poisson thinning). Drawing
 * those two is exactly the issue's traffic model, with no binomial sampler needed.
 */

/** splitmix32: spreads a small seed over 32 bits (used to seed xoshiro and to mix seeds). */
export function mix32(seed: number): number {
  let z = (seed + 0x9e3779b9) | 0
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/** A seed for item `index` of the stream `stream` (e.g. canary 17 of row 5), independent of how work is split. */
export function seedFor(stream: number, index: number): number {
  return mix32(mix32(stream) ^ Math.imul(index + 1, 0x27d4eb2d))
}

export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number) {
    let s = seed >>> 0
    const next = () => (s = mix32(s))
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next()
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1
  }

  /** xoshiro128**: a uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0
    const t = this.b << 9
    this.c ^= this.a
    this.d ^= this.b
    this.b ^= this.c
    this.a ^= this.d
    this.c ^= t
    this.d = rotl(this.d, 11)
    return result
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5 // 27 bits
    const lo = this.nextU32() >>> 6 // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/** ln(k!) : exact sum for small k, Stirling's series (error < 1e-15 relative) above. */
export function logFactorial(k: number): number {
  if (k < 20) {
    let s = 0
    for (let i = 2; i <= k; i++) s += Math.log(i)
    return s
  }
  const x = k + 1
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5)
}

/** Draws from Poisson(mean) by guide-table inversion; build once per mean, draw many times. */
export class PoissonTable {
  readonly mean: number
  private readonly low: number
  private readonly cdf: Float64Array
  private readonly guide: Int32Array

  constructor(mean: number) {
    if (!(mean >= 0) || !Number.isFinite(mean)) throw new Error(`Poisson mean must be finite and ≥ 0, got ${mean}`)
    this.mean = mean
    const spread = 12 * Math.sqrt(mean) + 10
    this.low = Math.max(0, Math.floor(mean - spread))
    const high = Math.ceil(mean + spread)
    const size = high - this.low + 1
    const pmf = new Float64Array(size)
    if (mean === 0) pmf[0] = 1
    else {
      // Start at the mode (largest term, computed in logs) and recurse outwards, then normalise.
      const mode = Math.floor(mean)
      const at = mode - this.low
      pmf[at] = Math.exp(mode * Math.log(mean) - mean - logFactorial(mode))
      for (let i = at + 1; i < size; i++) pmf[i] = (pmf[i - 1]! * mean) / (this.low + i)
      for (let i = at - 1; i >= 0; i--) pmf[i] = (pmf[i + 1]! * (this.low + i + 1)) / mean
    }
    let total = 0
    for (let i = 0; i < size; i++) total += pmf[i]!
    this.cdf = new Float64Array(size)
    let running = 0
    for (let i = 0; i < size; i++) {
      running += pmf[i]! / total
      this.cdf[i] = running
    }
    this.cdf[size - 1] = 1 // a draw below 1 always ends inside the table
    this.guide = new Int32Array(size)
    let k = 0
    for (let j = 0; j < size; j++) {
      while (this.cdf[k]! <= j / size) k++
      this.guide[j] = k
    }
  }

  /** Mean and variance of the table itself, to check it against Poisson(mean) before a run. */
  moments(): { mean: number; variance: number } {
    let mean = 0
    let square = 0
    let previous = 0
    for (let i = 0; i < this.cdf.length; i++) {
      const p = this.cdf[i]! - previous
      previous = this.cdf[i]!
      const k = this.low + i
      mean += p * k
      square += p * k * k
    }
    return { mean, variance: square - mean * mean }
  }

  sample(rng: Rng): number {
    const u = rng.next()
    let k = this.guide[(u * this.guide.length) | 0]!
    while (this.cdf[k]! <= u) k++
    return this.low + k
  }
}
