/**
 * Polls `read` until `check` holds and answers that value; throws naming `what` (and the last
 * value read) when the deadline passes. For state another process or a timer changes: a test
 * waits for the condition, never for a fixed time.
 */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string, deadlineMs = 20_000): Promise<T> {
  const until = Date.now() + deadlineMs
  for (;;) {
    const value = await read()
    if (check(value)) return value
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
