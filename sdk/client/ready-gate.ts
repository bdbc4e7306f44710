import { ClientError } from './errors.ts'

export interface ReadyGate {
  open(): void
  fail(error: ClientError): void
  /** Resolves when opened; rejects when failed first or after `timeoutMs`. */
  wait(timeoutMs?: number): Promise<void>
}

/**
 * The promise behind `ready()`: settles once, and each caller may add its own timeout without
 * affecting the others.
 *
 * @example
 * const gate = createReadyGate()
 * gate.open()
 * await gate.wait(1000)
 */
export function createReadyGate(): ReadyGate {
  let open: () => void = () => {}
  let fail: (error: ClientError) => void = () => {}
  const settled = new Promise<void>((resolve, reject) => {
    open = resolve
    fail = reject
  })
  // A failure nobody waits for must not surface as an unhandled rejection; waiters still see it.
  settled.catch(() => {})

  return {
    open: () => open(),
    fail: (error) => fail(error),
    wait(timeoutMs) {
      if (timeoutMs === undefined) return settled
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new ClientError('timeout', `no flag state after ${timeoutMs} ms`)),
          timeoutMs,
        )
        settled.then(resolve, reject).finally(() => clearTimeout(timer))
      })
    },
  }
}
