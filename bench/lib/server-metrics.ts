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
