export const percent = (rollout: number) => `${rollout}%`

/** `2025-03-04 12:30 UTC`: minutes tell keys apart, and UTC reads the same everywhere. */
export const timestamp = (ms: number) =>
  `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`
