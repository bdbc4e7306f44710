/**
 * What the guard's `seconds` figure counts, in one wording for the console, the CLI and the
 * audit: the one-second updates of the tests that had counts in them, not the time since the
 * evidence started. SDKs send counts in batches every few seconds, so a canary on for a minute
 * may have only a handful; "3 s of counts" for it read as a bug.
 *
 * @example
 * countedSecondsText(3) // 'counts from 3 separate seconds'
 * countedSecondsText(1) // 'counts from 1 second'
 * countedSecondsText(0) // 'no counts yet'
 */
export const countedSecondsText = (seconds: number): string =>
  // Just turned (back) on, the evidence has nothing: "counts from 0 separate seconds" is not English.
  seconds === 0
    ? 'no counts yet'
    : seconds === 1
      ? 'counts from 1 second'
      : `counts from ${seconds.toLocaleString('en-US')} separate seconds`
