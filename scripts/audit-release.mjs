#!/usr/bin/env node
// `npm run audit:release`: `npm audit --omit=dev`, the dependencies a release installs, judged
// by the advisories of the npm registry. Fails (exit 1) on any high or critical advisory; when
// the advisory service cannot be reached (offline CI, registry outage) it says so and exits 0,
// because an unreachable service is not a finding about this code.
import { spawnSync } from 'node:child_process'

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', shell: process.platform === 'win32' })
const text = (run.stdout ?? '').trim()
let report
try {
  report = JSON.parse(text)
} catch {
  report = undefined
}

/** npm's ways of saying it never got an answer: network errors and the audit endpoint failing. */
const UNREACHABLE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|audit endpoint returned an error|Method Not Allowed|request to .* failed/i
const said = `${run.stderr ?? ""}\n${text}`

if (!report?.metadata?.vulnerabilities) {
  const why = said.split('\n').map((l) => l.replace(/^npm (warn|error) /, '').trim()).find((l) => l && !l.startsWith('{')) ?? `npm exited with ${run.status}`
  if (UNREACHABLE.test(said)) {
    console.log(`audit:release skipped: the advisory service could not be reached (${why})`)
    process.exit(0)
  }
  console.error(`audit:release failed: ${why}`)
  process.exit(1)
}

const counts = report.metadata?.vulnerabilities ?? {}
const total = report.metadata?.dependencies?.prod ?? report.metadata?.dependencies?.total ?? '?'
const line = ['info', 'low', 'moderate', 'high', 'critical'].map((level) => `${level} ${counts[level] ?? 0}`).join(', ')
console.log(`npm audit --omit=dev: ${total} production dependencies; advisories: ${line}`)
for (const [name, v] of Object.entries(report.vulnerabilities ?? {}))
  console.log(`  ${v.severity.padEnd(8)} ${name} ${v.range ?? ''}${v.fixAvailable ? ' (fix available)' : ''}`)
if ((counts.high ?? 0) + (counts.critical ?? 0) > 0) {
  console.error('audit:release: high or critical advisories in the release dependencies')
  process.exit(1)
}
