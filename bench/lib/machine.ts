import { cpus, loadavg, release, totalmem, type } from 'node:os'

/** What the figures were measured on: they mean little without it. */
export function machine(): string {
  const list = cpus()
  const model = list[0]?.model.trim() ?? 'unknown CPU'
  const gib = (totalmem() / 2 ** 30).toFixed(1)
  const os = `${type()} ${release()}`
  return `${model}, ${list.length} cores, ${gib} GiB, ${os}, Node ${process.version}`
}

/** 1/5/15-minute load averages: on a shared machine, other work inflates wall-clock figures. */
export function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')
}
