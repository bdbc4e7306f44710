// The Node SDK's answers for the bench's users, as JSON lines: connects to a running server with a
// server key and prints `{flag, userId, enabled, reason}` per evaluation (argv: url key count flags...).
import { createClient } from '../../../dist/node.js'

const [url, key, count, ...flags] = process.argv.slice(2)
const REGIONS = ['eu-west', 'us-east', 'ap-south']
const client = createClient({ url, key, logger: {} })
await client.ready({ timeoutMs: 20000 })
const out = []
for (let i = 0; i < Number(count); i++) {
  const user = { userId: `u-${String(i).padStart(5, '0')}`, region: REGIONS[i % 3] }
  for (const flag of flags) {
    const { enabled, reason } = client.explain(flag, user)
    out.push(`${flag} ${user.userId} ${enabled} ${reason}`)
  }
}
process.stdout.write(out.join('\n') + '\n')
await client.close({ timeoutMs: 0 })
