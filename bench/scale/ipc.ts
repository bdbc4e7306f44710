/** The parent's side of this part's child processes: fork under tsx, then wait for typed messages. */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface Child {
  process: ChildProcess
  /** The next message of this type; rejects if the child exits first. */
  next<T = unknown>(type: string): Promise<T>
  send(message: { type: string }): void
  /** Kills the child (if still running) and waits for it to be gone. */
  stop(): Promise<void>
}

export function forkChild(file: string, args: string[], nodeArgs: string[] = []): Child {
  const script = fileURLToPath(new URL(file, import.meta.url))
  const child = fork(script, args, { execArgv: ['--import', 'tsx', ...nodeArgs] })
  let exited = false
  child.once('exit', () => (exited = true))
  return {
    process: child,
    next: <T>(type: string) =>
      new Promise<T>((resolve, reject) => {
        const onMessage = (m: { type: string }) => {
          if (m.type !== type) return
          child.off('message', onMessage)
          child.off('exit', onExit)
          resolve(m as T)
        }
        const onExit = (code: number | null) => reject(new Error(`${file} exited ${code} before sending ${type}`))
        if (exited) return onExit(child.exitCode)
        child.on('message', onMessage)
        child.once('exit', onExit)
      }),
    send: (message) => child.send(message),
    stop: () => (exited ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()).kill())),
  }
}

/** The child's side: announce it has loaded, and resolve when the parent says `type`. */
export function loadedThenWait(type = 'go'): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (m: { type: string }) => {
      if (m.type !== type) return
      process.off('message', onMessage)
      resolve()
    }
    process.on('message', onMessage)
    process.send!({ type: 'loaded' })
  })
}

/** Sends the result and exits once it has been handed to the parent. */
export function reportAndExit(result: object): void {
  process.send!({ type: 'result', ...result }, () => process.exit(0))
}
