/** A stored webhook secret row, as both dialects read it. */
export interface WebhookSecretRow {
  secret: string
  previousSecret: string | null
  previousUntil: number | null
}

/** The secrets that sign at `now`, newest first: the previous one only while its overlap lasts. */
export function signingSecrets(row: WebhookSecretRow | undefined, now: number): string[] {
  if (!row) return []
  const overlapping = row.previousSecret !== null && row.previousUntil !== null && now < row.previousUntil
  return overlapping ? [row.secret, row.previousSecret!] : [row.secret]
}
