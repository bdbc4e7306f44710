import { readFileSync } from 'node:fs'

/**
 * The soft limit on open files of this process (children inherit it), from /proc: Node has no
 * getrlimit. `undefined` where /proc is missing (not Linux); the caller then just tries.
 */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').match(/^Max open files\s+(\S+)/m)
    if (!line) return undefined
    return line[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(line[1])
  } catch {
    return undefined
  }
}

/** Descriptors a process needs beyond its sockets: stdio, IPC, the database, libuv, DNS… */
export const FD_HEADROOM = 100

/**
 * Why `connections` sockets will not fit in one process (the server and the load generator
 * each hold one end of every connection), or undefined when they fit.
 */
export function fdShortfall(connections: number): string | undefined {
  const limit = openFileLimit()
  const needed = connections + FD_HEADROOM
  if (limit === undefined || limit >= needed) return undefined
  return (
    `${connections} connections need ${needed} open files in the server and in the load generator, ` +
    `but the limit is ${limit}: raise it first (ulimit -n ${Math.max(needed, 20_000)}) and run again`
  )
}
