import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { metricsHostAllowed } from '../../../server/observability/metrics-port.ts'
import { startServer, type RunningServer } from '../../../server/main.ts'
import { makeStack, type Stack } from '../../helpers/stack.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'node:http'

/** Finding 14 of issue 25 (its header and metrics-port parts). */
let s: Stack
beforeAll(async () => {
  s = await makeStack()
})
afterAll(() => s.close())

describe('API answers', () => {
  it('carry nosniff and no-store, refusals too', async () => {
    for (const [path, key] of [['/api/v1/keys', undefined], ['/api/v1/keys', 'wrong'], ['/api/v1/nowhere', undefined]] as const) {
      const res = await s.call('GET', path, key === undefined ? {} : { key })
      expect([path, res.headers.get('x-content-type-options'), res.headers.get('cache-control')]).toEqual([path, 'nosniff', 'no-store'])
    }
  })
})

describe('the keyless metrics port', () => {
  let server: RunningServer
  let dir: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canary-metrics-port-'))
    // The main port on every interface, as a container sets it: the metrics port stays on loopback.
    server = await startServer({
      port: 0,
      host: '0.0.0.0',
      databasePath: join(dir, 'db.sqlite'),
      adminKey: undefined,
      publicUrl: '',
      metricsPort: 0,
      metricsAllowedHosts: ['prometheus-target.internal'],
    })
  })
  afterAll(async () => {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** GET /metrics on the metrics port with `host` as the Host header. */
  const scrape = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.metricsPort, path: '/metrics', headers: { host } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })

  it('binds loopback by default, whatever HOST says', () => {
    expect(server.listening).toMatch(/^http:\/\/0\.0\.0\.0:/)
    expect(server.metricsListening).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  })

  it('answers IP addresses, localhost and listed names, and refuses any other Host (DNS rebinding)', async () => {
    expect(await scrape(`127.0.0.1:${server.metricsPort}`)).toBe(200)
    expect(await scrape(`localhost:${server.metricsPort}`)).toBe(200)
    expect(await scrape('prometheus-target.internal:9464')).toBe(200)
    expect(await scrape('attacker.example')).toBe(421)
    expect(metricsHostAllowed('[::1]:9464', [])).toBe(true)
    expect(metricsHostAllowed(undefined, [])).toBe(false)
  })
})
