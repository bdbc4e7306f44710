/** Number formatting shared by the benchmark parts, so the table reads consistently. */

export const fixed = (value: number, digits = 1) => value.toFixed(digits)

/** `12.3×`, or `0.45×` below one. */
export const times = (ratio: number) =>
  `${ratio.toFixed(ratio >= 10 ? 0 : ratio < 1 ? 2 : 1)}×`

export const MB = 1024 * 1024
export const KB = 1024
