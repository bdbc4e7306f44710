import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { runCli, runMain } from './run-cli.ts'

/**
 * The CLI in a protected environment: flag writes print the change request they became (exit
 * 0), `canary requests` lists, shows, approves, rejects and withdraws, the kill switch acts at once.
 */

let server: TestServer
let author: Record<string, string>
let reviewer: Record<string, string>

beforeAll(async () => {
  server = await startTestServer()
  const created = await server.api('POST', '/api/v1/keys', { name: 'reviewer', kind: 'admin' })
  author = { CANARY_URL: server.url, CANARY_KEY: server.adminKey }
  reviewer = { CANARY_URL: server.url, CANARY_KEY: created.json.secret }
  await server.api('POST', '/api/v1/flags', { key: 'cli-flag' })
  await server.api('PUT', '/api/v1/environments/production/protection', { approvals: 1 })
})
afterAll(() => server.close())

describe('canary in a protected environment', () => {
  it('a held write prints the request it became; a reviewer approves it; the kill switch acts at once', async () => {
    const on = await runMain(['flags', 'on', 'cli-flag', '--env', 'production'], author)
    expect(on.code, on.stderr).toBe(0)
    const id = /change request #(\d+) created, needs 1 approval\b/.exec(on.stdout)?.[1]
    expect(id, on.stdout).toBeDefined()
    expect((await server.api('GET', '/api/v1/environments/production/flags/cli-flag')).json.enabled).toBe(false)

    const listed = await runMain(['requests', 'list', '--status', 'open'], author)
    expect(listed.stdout).toContain(`#${id}`)
    expect(listed.stdout).toContain('open, needs 1 approval')
    const shown = await runMain(['requests', 'show', id!], author)
    expect(shown.stdout).toContain('enabled: false → true')
    expect(shown.stdout).toContain('proposed by admin-key:bootstrap-admin')

    const own = await runMain(['requests', 'approve', id!], author)
    expect(own.code).not.toBe(0)
    expect(own.stderr).toContain('cannot approve it')
    const approved = await runMain(['requests', 'approve', `#${id}`, '--comment', 'go'], reviewer)
    expect(approved.code, approved.stderr).toBe(0)
    expect(approved.stdout).toContain('applied')
    expect((await server.api('GET', '/api/v1/environments/production/flags/cli-flag')).json.enabled).toBe(true)

    // The kill switch through the real binary: not held, and idempotent.
    const off = await runCli(['flags', 'off', 'cli-flag', '--env', 'production'], author)
    expect(off.code, off.stderr).toBe(0)
    expect(off.stdout).toContain('cli-flag is off in production')
    const again = await runMain(['flags', 'off', 'cli-flag', '--env', 'production'], author)
    expect(again.stdout).toContain('already off')
  })

  it('rollout and cohort changes are held too; requests can be rejected and withdrawn', async () => {
    const add = await runMain(['cohorts', 'add', 'cli-flag', '--env', 'production', '--cohort', 'all', '--percent', '5'], author)
    expect(add.code, add.stderr).toBe(0)
    const first = /change request #(\d+) created/.exec(add.stdout)![1]!
    const rejected = await runMain(['requests', 'reject', first, '--comment', 'too wide'], reviewer)
    expect(rejected.stdout).toContain('rejected by admin-key:reviewer')
    const again = await runMain(['cohorts', 'add', 'cli-flag', '--env', 'production', '--cohort', 'all', '--percent', '1'], author)
    const second = /change request #(\d+) created/.exec(again.stdout)![1]!
    const notMine = await runMain(['requests', 'withdraw', second], reviewer)
    expect(notMine.code).not.toBe(0)
    expect(notMine.stderr).toContain('only the author')
    const withdrawn = await runMain(['requests', 'withdraw', second], author)
    expect(withdrawn.stdout).toContain('withdrawn by admin-key:bootstrap-admin')
    // Scheduling through the CLI: a pending request gets its time; a bad time is refused.
    const third = /change request #(\d+) created/.exec((await runMain(['flags', 'rollout', 'cli-flag', '--env', 'production', '--cohort', 'nope', '--percent', '5'], author)).stdout)
    expect(third).toBeNull()
    const scheduled = await runMain(['cohorts', 'add', 'cli-flag', '--env', 'production', '--cohort', 'later', '--percent', '2'], author)
    const laterId = /change request #(\d+) created/.exec(scheduled.stdout)![1]!
    const at = await runMain(['requests', 'apply', laterId, '--at', '2099-01-01T09:00:00Z'], author)
    expect(at.code, at.stderr).toBe(0)
    expect(at.stdout).toContain('scheduled for 2099-01-01 09:00 UTC')
    const notApproved = await runMain(['requests', 'apply', laterId], author)
    expect(notApproved.stderr).toContain('needs 1 approval more')
    expect((await runMain(['requests', 'apply', laterId, '--at', 'soon'], author)).stderr).toContain('--at: soon is not a date')
    const bad = await runMain(['requests', 'show', 'abc'], author)
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain('<id>: abc is not a change request number')
    const unknown = await runMain(['requests', 'list', '--status', 'done'], author)
    expect(unknown.stderr).toContain('--status: done is not one of')
  })
})
