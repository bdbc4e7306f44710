import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatLine } from '../../server/observability/pretty-stream.ts'
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../helpers/server.ts'
import { runMain } from './run-cli.ts'

/** Finding 11 of issue 25: control and bidi characters never reach the terminal or the pretty log raw. */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.close())

describe('escaping what others wrote', () => {
  it('canary cohorts list shows a cohort name with ESC, BEL and a bidi override as visible escapes', async () => {
    await server.api('POST', '/api/v1/flags', { key: 'checkout-v2' })
    const name = 'beta\u001b[2J\u001b[31mred\u0007\u202eevil'
    const set = await server.api('PATCH', '/api/v1/environments/production/flags/checkout-v2', {
      cohorts: [{ name, conditions: [], rollout: 10 }],
    })
    expect(set.status).toBe(200)
    const result = await runMain(['cohorts', 'list', 'checkout-v2', '--env', 'production'], { CANARY_URL: server.url, CANARY_KEY: TEST_ADMIN_KEY })
    expect(result.code).toBe(0)
    expect(result.stdout).not.toMatch(RAW)
    expect(result.stdout).toContain('beta\\u{001b}[2J\\u{001b}[31mred\\u{0007}\\u{202e}evil')
  })

  it('the pretty log escapes an unauthenticated request path and any field', () => {
    const line = JSON.stringify({ level: 30, time: 0, msg: 'GET /\u001b]0;owned\u0007 404', path: '/\u001b[1A\u009b', ua: 'x\u202ey' })
    const shown = formatLine(line)
    expect(shown).not.toMatch(RAW)
    expect(shown).toContain('GET /\\u{001b}]0;owned\\u{0007} 404')
    expect(shown).toContain('\\u{009b}')
    expect(shown).toContain('x\\u{202e}y')
    // Plain text is untouched, and a stack keeps its lines.
    expect(formatLine(JSON.stringify({ level: 50, time: 0, msg: 'boom', err: { stack: 'Error: boom\n    at x' } }))).toBe(
      '00:00:00.000 ERROR boom\nError: boom\n    at x',
    )
  })
})
