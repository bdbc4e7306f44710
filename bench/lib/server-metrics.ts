/**
 * The server's own fan-out timing, from its Prometheus page: how long handing committed
 * changes to every socket took inside the server, to set beside what the SDKs saw.
 */
export async function fanOutTotals(url: string, adminKey: string): Promise<{ seconds: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })).text()
  const total = (series: string) =>
    [...text.matchAll(new RegExp(`^canary_change_fanout_seconds_${series}\\{[^}]*\\} (\\S+)$`, 'gm'))].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    )
  return { seconds: total('sum'), count: total('count') }
}

/**
 * The server's worst event-loop delay since the previous scrape (prom-client resets the
 * histogram on every collection): scrape once to start a window, again to read it. What any
 * request or socket of the server would have waited behind, measured inside the server.
 */
export async function eventLoopDelayMaxMs(url: string, adminKey: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })).text()
  const m = text.match(/^canary_nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? (\S+)$/m)
  return m ? Number(m[1]) * 1000 : Number.NaN
}
