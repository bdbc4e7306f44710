import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 almost everywhere). */
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

/**
 * CPU time (user + system, ms) another process has used so far, from /proc/<pid>/stat: the
 * server's own cost of a piece of work, whatever the wall clock says on a shared machine.
 */
export function cpuMs(pid: number): number {
  const { user, system } = cpuSplitMs(pid)
  return user + system
}

/**
 * The same, split: user time is the process's own code; system time is the kernel's on its
 * behalf — on loopback that includes the TCP work of both ends of every socket it writes to.
 */
export function cpuSplitMs(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { user: (Number(fields[11]) * 1000) / TICKS, system: (Number(fields[12]) * 1000) / TICKS }
}

/** Busy and total jiffies of all cores together, from /proc/stat's `cpu` line. */
function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const total = fields.reduce((a, b) => a + b, 0)
  // idle and iowait are the cores' free time; everything else is someone's work.
  const free = (fields[3] ?? 0) + (fields[4] ?? 0)
  return { busy: total - free, total }
}

/**
 * A reading of the whole machine's CPU: `busyCores()` says how many cores' worth of work ran
 * (anyone's: other tenants too) since the reading was taken. On 2 cores, ~2 means the machine,
 * not the process under test, was the bound.
 */
export function machineCpu(cores: number) {
  const start = machineTicks()
  return {
    busyCores(): number {
      const end = machineTicks()
      return ((end.busy - start.busy) / Math.max(1, end.total - start.total)) * cores
    },
  }
}

/** Bytes the process has passed to write-like system calls (sockets included), from /proc/<pid>/io. */
export function bytesWritten(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/io`, 'utf8').match(/^wchar:\s+(\d+)/m)![1])
}
